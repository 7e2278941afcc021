// The response cache: an opted-in model's repeated prompt is answered from Redis without an
// upstream call, without charge and without a plan count; other parameters miss.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { expectedContent } from '../ops/mock-provider/completion-plan.js';
import { db } from '../shared/db.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { balanceOf, createPayingUser, usageRecordOf } from './support/users.js';

describe('response cache', function () {
  this.timeout(30_000);
  let h: Harness;
  let model: string;
  let savedCache: unknown;

  const admin = (path: string, body: unknown) => postJson(h.url, path, body, { authorization: h.rootToken });

  before(async () => {
    h = await harness();
    model = uniqueModel('cached');
    await createChannel(h, { models: [model] });
    await admin('/admin/charge/set', { id: -1, type: 'times-billing', models: [model], output: 1 });
    const view = await fetch(`${h.url}/admin/config/view`, { headers: { authorization: h.rootToken } });
    savedCache = ((await view.json()) as { data: { cache: unknown } }).data.cache;
    assert.equal(
      (await admin('/admin/config/update', { cache: { models: [model], expire: 60, size: 1 } })).status,
      true,
    );
  });

  after(async () => {
    await admin('/admin/config/update', { cache: savedCache });
  });

  const upstreamCalls = () =>
    h.mock.requests.filter((r) => (r.body as { model?: string })?.model === model).length;

  const settled = (response: Response) => usageRecordOf(String(response.headers.get('x-request-id')));

  it('answers a repeated prompt from the cache: no upstream call, no charge', async () => {
    const user = await createPayingUser(10);
    const ask = (temperature = 0.2) =>
      fetch(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, temperature, messages: [{ role: 'user', content: 'cache me' }] }),
      });
    const first = await ask();
    assert.equal((await settled(first)).source, 'balance');
    const calls = upstreamCalls();
    const second = await ask();
    assert.equal(second.headers.get('x-cache'), 'hit');
    const body = (await second.json()) as { choices: { message: { content: string } }[]; quota: number };
    assert.equal(body.choices[0].message.content, expectedContent(5));
    assert.equal(body.quota, 0);
    const row = await settled(second);
    assert.equal(row.source, 'cache');
    assert.equal(Number(row.cost), 0);
    assert.equal(upstreamCalls(), calls, 'the hit never reached the upstream');
    assert.deepEqual(await balanceOf(user.id), { quota: 9, used: 1 }, 'only the first request was paid');
    const other = await ask(0.9);
    assert.equal(other.headers.get('x-cache'), null, 'other sampling parameters miss');
    await settled(other);
    assert.equal(upstreamCalls(), calls + 1);
  });

  it('replays a hit as a stream the openai client reads like a live one', async () => {
    const user = await createPayingUser(10);
    const client = new OpenAI({ apiKey: user.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const ask = async () => {
      const stream = await client.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'stream me' }],
      });
      let content = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null = null;
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      return { content, usage, finish };
    };
    const live = await ask();
    for (let i = 0; i < 100; i++) {
      if (await db()('usage_record').where('user_id', user.id).first()) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const calls = upstreamCalls();
    const replayed = await ask();
    assert.equal(upstreamCalls(), calls);
    assert.deepEqual(replayed, live);
    assert.equal(live.content, expectedContent(5));
    assert.deepEqual(await balanceOf(user.id), { quota: 9, used: 1 });
  });
});
