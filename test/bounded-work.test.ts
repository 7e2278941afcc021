// Bounded work per request: 4 MB bodies of adversarial shapes (no spaces, one long word, CJK
// runs, base64, deep nesting, many messages) are answered or refused while /health keeps
// answering, and holds count huge prompts with an upper bound that never undercounts.
import assert from 'node:assert/strict';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { createPayingUser, type TestUser } from './support/users.js';

const FOUR_MB = 4 * 1024 * 1024;
/** The body limit is 4mb: leave room for the JSON around the payload. */
const PAYLOAD = FOUR_MB - 4096;

function body(model: string, messages: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, messages, max_tokens: 16, ...extra });
}

const user = (content: string) => [{ role: 'user', content }];

/** Each adversarial body, built on demand (about 4 MB each). */
const SHAPES: Record<string, (model: string) => string> = {
  'no spaces': (model) => body(model, user('a'.repeat(PAYLOAD))),
  'one long word': (model) => {
    const letters = Buffer.alloc(PAYLOAD);
    for (let i = 0; i < PAYLOAD; i++) letters[i] = 97 + ((i * 7919 + (i >> 5)) % 26);
    return body(model, user(letters.toString('latin1')));
  },
  'CJK run': (model) =>
    body(
      model,
      user(
        '我们今天讨论一下这个问题的解决方案并且希望能够尽快完成这个项目的开发工作'.repeat(PAYLOAD / 3 / 36),
      ),
    ),
  base64: (model) => body(model, user(Buffer.alloc((PAYLOAD * 3) / 4, 7).toString('base64'))),
  'deep nesting': (model) =>
    body(model, user('hi'), { x: '__DEEP__' }).replace(
      '"__DEEP__"',
      `${'['.repeat(PAYLOAD / 2 - 100)}${']'.repeat(PAYLOAD / 2 - 100)}`,
    ),
  'many messages': (model) =>
    body(
      model,
      Array.from({ length: 85_000 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `m${i} words here`,
      })),
    ),
};

/** Polls /health until `done`; returns the slowest answer in ms. */
async function watchHealth(url: string, done: () => boolean): Promise<number> {
  let slowest = 0;
  while (!done()) {
    const started = Date.now();
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    slowest = Math.max(slowest, Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return slowest;
}

describe('bounded work per request', function () {
  this.timeout(120_000);
  let h: Harness;
  let model: string;
  let payer: TestUser;

  before(async () => {
    h = await harness();
    model = uniqueModel('huge');
    await createChannel(h, { models: [model] });
    const rule = { id: -1, type: 'token-billing', models: [model], input: 0.001, output: 0.001 };
    await postJson(h.url, '/admin/charge/set', rule, { authorization: h.rootToken });
    payer = await createPayingUser(1_000_000, 'huge');
  });

  for (const [name, build] of Object.entries(SHAPES)) {
    it(`answers or refuses a 4 MB body (${name}) while /health keeps answering`, async () => {
      const payload = build(model);
      const bytes = Buffer.byteLength(payload);
      assert.ok(bytes > 3.9 * 1024 * 1024 && bytes <= FOUR_MB, `${bytes} bytes`);
      let finished = false;
      const request = fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${payer.key}`, 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(60_000),
      }).finally(() => {
        finished = true;
      });
      const [response, slowest] = await Promise.all([request, watchHealth(h.url, () => finished)]);
      const answer = (await response.json()) as { error?: { code?: string }; choices?: unknown[] };
      assert.ok(response.status < 500, `${name}: ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
      if (name === 'deep nesting') {
        assert.equal(response.status, 400);
        assert.equal(answer.error?.code, 'json_too_deep');
      } else {
        assert.equal(response.status, 200, JSON.stringify(answer).slice(0, 300));
      }
      if (process.env.SHOW_HEALTH) console.log(`${name}: slowest /health ${slowest} ms`);
      // Windows of a second or more: a frozen loop takes seconds to minutes.
      assert.ok(slowest < 1000, `${name}: /health took ${slowest} ms while the request was in flight`);
    });
  }

  it('refuses a body over the limit with 413 and JSON nested past 64 levels with 400 on web routes too', async () => {
    const big = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${payer.key}`, 'content-type': 'application/json' },
      body: body(model, [{ role: 'user', content: 'x'.repeat(FOUR_MB) }]),
    });
    assert.equal(big.status, 413);
    const deep = await fetch(`${h.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"username":${'['.repeat(65)}${']'.repeat(65)}}`,
    });
    const envelope = (await deep.json()) as { status: boolean; code: string };
    assert.equal(envelope.status, false);
    assert.equal(envelope.code, 'json_too_deep');
    const proto = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${payer.key}`, 'content-type': 'application/json' },
      body: `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"__proto__":{"admin":true}}`,
    });
    assert.equal(proto.status, 400);
  });
});
