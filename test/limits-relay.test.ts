// Relay limits end to end (real MySQL, Redis, workers): requests per minute with the default
// and a per-user limit, tokens per minute, concurrency, x-ratelimit-* headers, JWT callers,
// and the admin endpoints. Every test uses its own users; global settings are never changed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../shared/auth/api-key.js';
import { hashPassword } from '../shared/auth/password.js';
import { db } from '../shared/db.js';
import { readUntil } from './support/processes.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';

const fromAnywhere = () => ({ 'x-forwarded-for': `10.${[...randomBytes(3)].join('.')}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LimitUser {
  id: number;
  username: string;
  password: string;
  key: string | null;
}

/** An admin (relays for free, no charge rules needed), with an API key unless `withKey` is false. */
async function createLimitUser(withKey = true): Promise<LimitUser> {
  const username = `limits${randomBytes(5).toString('hex')}`;
  const password = 'limits-pass';
  const [id] = await db()('auth').insert({
    username,
    password: await hashPassword(password),
    token: randomBytes(16).toString('hex'),
    is_admin: true,
  });
  const key = withKey ? generateApiKey() : null;
  if (key) await db()('apikey').insert({ user_id: id, api_key: key });
  return { id: Number(id), username, password, key };
}

describe('limits: relay', function () {
  this.timeout(30_000);
  let h: Harness;
  let model: string;

  before(async () => {
    h = await harness();
    model = uniqueModel('limits');
    await createChannel(h, { models: [model] });
  });

  const chat = (credential: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  /** The status of one request, its body read. */
  const statusOf = async (credential: string, body: unknown) => {
    const response = await chat(credential, body);
    await response.text();
    return response.status;
  };
  const ask = (text = 'hi', extra: Record<string, unknown> = {}) => ({
    model,
    messages: [{ role: 'user', content: text }],
    ...extra,
  });
  const setLimit = async (patch: Record<string, unknown>, token = h.rootToken) =>
    postJson(h.url, '/admin/user/limit', patch, { authorization: token, ...fromAnywhere() });
  /** Polls (bounded) until `probe` holds: the slot of an ended request is freed asynchronously. */
  const eventually = async (probe: () => Promise<boolean>) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await probe()) return;
      await sleep(50);
    }
    assert.fail('condition never held');
  };

  it('admin endpoints read and change per-user limits; null restores the global value', async () => {
    const user = await createLimitUser();
    const view = async () =>
      (await (
        await fetch(`${h.url}/admin/user/limit?id=${user.id}`, { headers: { authorization: h.rootToken } })
      ).json()) as { status: boolean; data: Record<string, unknown> };
    const initial = await view();
    assert.equal(initial.status, true);
    assert.deepEqual(initial.data, {
      id: user.id,
      rpm: null,
      tpm: null,
      concurrency: null,
      effective: { rpm: 100, tpm: 0, concurrency: 0 },
    });
    const changed = await setLimit({ id: user.id, rpm: 7, concurrency: 2 });
    assert.deepEqual(changed.data, {
      id: user.id,
      rpm: 7,
      tpm: null,
      concurrency: 2,
      effective: { rpm: 7, tpm: 0, concurrency: 2 },
    });
    await setLimit({ id: user.id, tpm: 0 });
    assert.deepEqual((await view()).data, {
      id: user.id,
      rpm: 7,
      tpm: 0,
      concurrency: 2,
      effective: { rpm: 7, tpm: 0, concurrency: 2 },
    });
    await setLimit({ id: user.id, rpm: null, tpm: null, concurrency: null });
    assert.equal((await view()).data.rpm, null);
    assert.equal(
      await db()('user_limit').where({ user_id: user.id }).first(),
      undefined,
      'no override, no row',
    );

    assert.equal((await setLimit({ id: user.id, rpm: -1 })).status, false);
    assert.equal((await setLimit({ id: user.id, rpm: 1.5 })).status, false);
    assert.deepEqual(await setLimit({ id: 999_999_999, rpm: 1 }), { status: false, error: 'user not found' });
    const plain = await createLimitUser();
    await db()('auth').where({ id: plain.id }).update({ is_admin: false });
    const forbidden = await fetch(`${h.url}/admin/user/limit?id=${user.id}`, {
      headers: { authorization: `Bearer ${plain.key}` },
    });
    assert.equal(forbidden.status, 403, 'admins only');
  });

  it('refuses the request over a per-user rpm with 429, Retry-After and x-ratelimit-* headers', async () => {
    const user = await createLimitUser();
    assert.equal((await setLimit({ id: user.id, rpm: 3 })).status, true);
    const key = user.key ?? '';
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const response = await chat(key, ask('hi', { stream: i === 1 }));
      assert.equal(response.status, 200, await response.clone().text());
      seen.push(response.headers.get('x-ratelimit-remaining-requests'));
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
      assert.match(response.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+ms|[\d.]+s|\d+m[\d.]+s)$/);
      assert.equal(response.headers.get('x-ratelimit-limit-tokens'), null, 'no token headers while tpm is 0');
      await response.text();
    }
    assert.deepEqual(seen, ['2', '1', '0']);
    const refused = await chat(key, ask());
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '3');
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.ok(refused.headers.get('x-ratelimit-reset-requests'));
    const body = (await refused.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.type, 'requests');
    assert.equal(body.error.code, 'rate_limit_exceeded');
    assert.equal(body.error.param, null);

    await setLimit({ id: user.id, rpm: 5 });
    assert.equal(await statusOf(key, ask()), 200, 'a raised limit applies at once');
  });

  it('with the default 100 rpm, exactly 100 of 101 requests pass the limiter (even invalid ones)', async () => {
    const user = await createLimitUser();
    const key = user.key ?? '';
    const statuses: number[] = [];
    const limits = new Set<string | null>();
    let refused: Response | undefined;
    for (let batch = 0; batch < 101; batch += 25) {
      const size = Math.min(25, 101 - batch);
      const responses = await Promise.all(
        Array.from({ length: size }, () => chat(key, { messages: 'invalid' })),
      );
      for (const response of responses) {
        statuses.push(response.status);
        limits.add(response.headers.get('x-ratelimit-limit-requests'));
        if (response.status === 429) refused = response;
        else await response.text();
      }
    }
    assert.equal(
      statuses.filter((status) => status === 400).length,
      100,
      'invalid bodies are counted, then refused',
    );
    assert.equal(statuses.filter((status) => status === 429).length, 1);
    assert.deepEqual([...limits], ['100'], 'every relay response carries the headers');
    assert.ok(refused);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
  });

  it('counts tokens of finished requests against tpm and refuses once the minute is used up', async () => {
    const user = await createLimitUser();
    const key = user.key ?? '';
    await setLimit({ id: user.id, tpm: 10 });
    const first = await chat(key, ask('hello [[mock chunks=20]]'));
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-tokens'), '10');
    assert.equal(first.headers.get('x-ratelimit-remaining-tokens'), '10');
    const usage = ((await first.json()) as { usage: { total_tokens: number } }).usage;
    assert.ok(usage.total_tokens >= 20);
    const second = await chat(key, ask());
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('x-ratelimit-remaining-tokens'), '0');
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    assert.ok(second.headers.get('x-ratelimit-reset-tokens'));
    const body = (await second.json()) as { error: { type: string; code: string } };
    assert.deepEqual([body.error.type, body.error.code], ['tokens', 'rate_limit_exceeded']);
    await setLimit({ id: user.id, tpm: usage.total_tokens + 10 });
    const third = await chat(key, ask());
    assert.equal(third.status, 200, 'under a raised limit again');
    assert.equal(third.headers.get('x-ratelimit-remaining-tokens'), '10');
    await third.text();
  });

  it('with concurrency 1, a second concurrent stream is refused until the first ends', async () => {
    const user = await createLimitUser();
    const key = user.key ?? '';
    await setLimit({ id: user.id, concurrency: 1 });
    const first = await chat(key, ask('slow [[mock chunks=4 delay=150]]', { stream: true }));
    assert.equal(first.status, 200);
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    const head = await readUntil(reader, (text) => text.includes('data: {'));
    const second = await chat(key, ask('hi', { stream: true }));
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '1');
    assert.equal(second.headers.get('x-ratelimit-limit-requests'), '100');
    const body = (await second.json()) as { error: { type: string; code: string } };
    assert.deepEqual([body.error.type, body.error.code], ['requests', 'rate_limit_exceeded']);
    const rest = await readUntil(reader, (text) => text.includes('[DONE]'), head);
    assert.match(rest, /data: \[DONE\]/);
    await eventually(async () => {
      const next = await chat(key, ask('hi', { stream: true }));
      await next.text();
      return next.status === 200;
    });
  });

  it('frees the slot when the client aborts a stream', async () => {
    const user = await createLimitUser();
    const key = user.key ?? '';
    await setLimit({ id: user.id, concurrency: 1 });
    const abort = new AbortController();
    const first = await chat(key, ask('stuck [[mock hang=mid]]', { stream: true }), abort.signal);
    assert.equal(first.status, 200);
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (text) => text.includes('data: {'));
    assert.equal(await statusOf(key, ask()), 429);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    await eventually(async () => {
      const next = await chat(key, ask());
      await next.text();
      return next.status === 200;
    });
  });

  it('limits JWT callers without a key per user; a key holder shares one bucket across credentials', async () => {
    const login = async (user: LimitUser) =>
      String(
        (
          await postJson(
            h.url,
            '/login',
            { username: user.username, password: user.password },
            fromAnywhere(),
          )
        ).token,
      );
    const keyless = await createLimitUser(false);
    await setLimit({ id: keyless.id, rpm: 1 });
    const jwt = await login(keyless);
    assert.equal(await statusOf(jwt, ask()), 200);
    const refused = await chat(jwt, ask());
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('x-ratelimit-limit-requests'), '1');
    await refused.text();

    const holder = await createLimitUser();
    await setLimit({ id: holder.id, rpm: 2 });
    const holderJwt = await login(holder);
    assert.equal(await statusOf(holder.key ?? '', ask()), 200);
    assert.equal(await statusOf(holderJwt, ask()), 200);
    assert.equal(await statusOf(holderJwt, ask()), 429);
    assert.equal(await statusOf(holder.key ?? '', ask()), 429);
  });
});
