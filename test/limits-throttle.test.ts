// Per-IP limits end to end: the web throttle table (/login 20 per 10 s -> 429
// request_throttled) and the bad API key block (more than 50 bad keys -> 429 ip_blocked before
// any key lookup). Each test sends from its own address (X-Forwarded-For; the app trusts proxies).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { matchThrottle } from '../api/middleware/throttle.js';
import { type Harness, harness } from './support/harness.js';

const freshIp = () => `10.${[...randomBytes(3)].join('.')}`;

describe('limits: per-IP throttles', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await harness();
  });

  it('matches rules by path segment, with sub-paths, never /v1 or /admin/queues', () => {
    assert.equal(matchThrottle('/login')?.max, 20);
    assert.equal(matchThrottle('/reset')?.windowSeconds, 120);
    assert.equal(matchThrottle('/resetkey')?.windowSeconds, 3600, '/reset does not swallow /resetkey');
    assert.equal(matchThrottle('/conversation/list')?.path, '/conversation');
    assert.equal(matchThrottle('/dashboard/billing/usage')?.path, '/dashboard');
    assert.equal(matchThrottle('/broadcast/view')?.path, '/broadcast');
    assert.equal(matchThrottle('/subscription')?.path, '/subscription');
    assert.equal(matchThrottle('/subscribe')?.path, '/subscribe');
    assert.equal(matchThrottle('/chat')?.max, 5);
    for (const free of [
      '/v1/chat/completions',
      '/v1/models',
      '/admin/queues',
      '/health',
      '/loginx',
      '/chats',
    ])
      assert.equal(matchThrottle(free), undefined, free);
  });

  it('answers the 21st /login from one IP within 10 s with 429 request_throttled', async () => {
    const ip = freshIp();
    const login = () =>
      fetch(`${h.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: `nobody-${ip}`, password: 'wrong-password' }),
      });
    const first = await Promise.all(Array.from({ length: 20 }, login));
    for (const response of first) {
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { status: boolean }).status, false);
    }
    const refused = await login();
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10, String(retryAfter));
    assert.deepEqual(await refused.json(), {
      status: false,
      reason: 'You have sent too many requests. Please try again later.',
      error: 'request_throttled',
    });
    const elsewhere = await fetch(`${h.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      body: JSON.stringify({ username: `nobody-${ip}`, password: 'wrong-password' }),
    });
    assert.equal(elsewhere.status, 200, 'other IPs are not affected');
    await elsewhere.text();
  });

  it('blocks an IP that sent more than 50 bad keys, before any key lookup, everywhere', async () => {
    const ip = freshIp();
    const models = (key: string, from = ip) =>
      fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': from } });
    const badKey = () => `sk-${randomBytes(32).toString('hex')}`;
    for (let i = 0; i < 51; i++) {
      const response = await models(badKey());
      assert.equal(response.status, 401, `bad key ${i + 1} is a plain 401`);
      await response.text();
    }
    const blocked = await models(h.rootKey);
    assert.equal(blocked.status, 429, 'even a valid key is refused from a blocked IP');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 60 && retryAfter <= 20 * 60, String(retryAfter));
    const body = (await blocked.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.deepEqual([body.error.type, body.error.code], ['invalid_request_error', 'ip_blocked']);

    const chat = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.rootKey}`,
        'content-type': 'application/json',
        'x-forwarded-for': ip,
      },
      body: '{}',
    });
    assert.equal(chat.status, 429);
    await chat.text();
    const web = await fetch(`${h.url}/quota`, {
      headers: { authorization: badKey(), 'x-forwarded-for': ip },
    });
    assert.equal(web.status, 429);
    assert.equal(
      ((await web.json()) as { code: string }).code,
      'ip_blocked',
      'web paths answer the envelope',
    );

    const other = await models(h.rootKey, freshIp());
    assert.equal(other.status, 200, 'other IPs are not affected');
    await other.text();
  });
});
