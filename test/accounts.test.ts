// Accounts and guards: login (JWT + Bull Board cookie), API keys and their reset, admin-only
// routes, the Bull Board guard, and the health probes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { hashPassword } from '../shared/auth/password.js';
import { db } from '../shared/db.js';
import { testEnvironment } from './support/environment.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { freshClientIp } from './support/client-ip.js';

async function createUser(
  username: string,
  password: string,
  options: { legacy?: boolean; admin?: boolean } = {},
) {
  const stored = options.legacy
    ? createHash('sha256').update(password).digest('hex')
    : await hashPassword(password);
  const [id] = await db()('auth').insert({
    username,
    password: stored,
    token: randomBytes(16).toString('hex'),
    is_admin: Boolean(options.admin),
  });
  return id;
}

describe('accounts and guards', function () {
  this.timeout(20_000);
  let h: Harness;

  before(async () => {
    h = await harness();
  });

  const login = async (username: string, password: string) => {
    const response = await fetch(`${h.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return {
      body: (await response.json()) as { status: boolean; token?: string },
      cookie: response.headers.get('set-cookie'),
    };
  };

  it('logs in with a JWT and sets an HttpOnly SameSite=Strict cookie scoped to /admin/queues', async () => {
    const { body, cookie } = await login('root', 'root-test-password');
    assert.equal(body.status, true);
    assert.match(body.token ?? '', /^ey/);
    assert.match(cookie ?? '', /chatnio_session=/);
    assert.match(cookie ?? '', /path=\/admin\/queues/i);
    assert.match(cookie ?? '', /httponly/i);
    assert.match(cookie ?? '', /samesite=strict/i);
    const state = await postJson(h.url, '/state', {}, { authorization: body.token ?? '' });
    assert.deepEqual(state, { status: true, user: 'root', admin: true });
    const anonymous = await postJson(h.url, '/state', {}, { authorization: 'not-a-jwt' });
    assert.equal(anonymous.status, false, 'a bad JWT means anonymous');
  });

  it('upgrades a legacy unsalted SHA-256 password at login', async () => {
    const id = await createUser('legacy-user', 'legacy-pass', { legacy: true });
    assert.equal((await login('legacy-user', 'legacy-pass')).body.status, true);
    const row = await db()('auth').where({ id }).first('password');
    assert.match(row.password, /^\$argon2id\$/);
    const again = await login('legacy-user', 'legacy-pass');
    assert.equal(again.body.status, true);
    assert.equal((await login('legacy-user', 'wrong')).body.status, false);
    const state = await postJson(h.url, '/state', {}, { authorization: again.body.token ?? '' });
    assert.equal(state.status, true, 'the JWT of an upgraded legacy user works');
  });

  it('refuses JWTs without the credentials stamp or with a stale one', async () => {
    const id = await createUser('stamp-user', 'stamp-pass');
    const { token } = (await login('stamp-user', 'stamp-pass')).body;
    const claims = jwt.decode(token ?? '') as { id: number; username: string; stamp: string };
    assert.equal(claims.id, id);
    assert.match(claims.stamp, /^[0-9a-f]{16}$/);
    const forge = (extra: Record<string, unknown>) =>
      jwt.sign({ id, username: 'stamp-user', ...extra }, testEnvironment.SECRET, { algorithm: 'HS256' });
    for (const forged of [forge({}), forge({ stamp: '0123456789abcdef' })]) {
      const state = await postJson(h.url, '/state', {}, { authorization: forged });
      assert.equal(state.status, false);
    }
    assert.equal((await postJson(h.url, '/state', {}, { authorization: token ?? '' })).status, true);
  });

  it('gives each user one sk- key; resetting it stops the old one at once', async () => {
    await createUser('key-user', 'key-pass-1');
    const token = (await login('key-user', 'key-pass-1')).body.token ?? '';
    const first = (await (
      await fetch(`${h.url}/apikey`, {
        headers: { authorization: token, 'x-forwarded-for': freshClientIp() },
      })
    ).json()) as {
      key: string;
    };
    assert.match(first.key, /^sk-[0-9a-f]{64}$/);
    const again = (await (
      await fetch(`${h.url}/apikey`, {
        headers: { authorization: token, 'x-forwarded-for': freshClientIp() },
      })
    ).json()) as {
      key: string;
    };
    assert.equal(again.key, first.key);
    const models = (key: string) =>
      fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await models(first.key)).status, 200);
    const reset = await postJson(h.url, '/resetkey', {}, { authorization: token });
    assert.notEqual(reset.key, first.key);
    assert.equal((await models(first.key)).status, 401, 'the cached old key stops working at once');
    assert.equal((await models(String(reset.key))).status, 200);
    assert.equal(
      (await fetch(`${h.url}/apikey`, { headers: { 'x-forwarded-for': freshClientIp() } })).status,
      401,
      'web routes need a login',
    );
  });

  it('admin routes need an admin', async () => {
    await createUser('plain-user', 'plain-pass');
    const token = (await login('plain-user', 'plain-pass')).body.token ?? '';
    assert.equal((await fetch(`${h.url}/admin/channel/list`)).status, 401);
    const forbidden = await fetch(`${h.url}/admin/channel/list`, { headers: { authorization: token } });
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { status: boolean }).status, false);
    const allowed = await fetch(`${h.url}/admin/channel/list`, { headers: { authorization: h.rootToken } });
    const list = (await allowed.json()) as { status: boolean; data: { secret: string }[] };
    assert.equal(list.status, true);
    assert.ok(
      list.data.every((channel) => !channel.secret.startsWith('sk-upstream-test')),
      'lists mask secrets',
    );
    const invalid = await postJson(
      h.url,
      '/admin/channel/create',
      { name: 'x', type: 'openai', models: [], secret: 's', endpoint: 'ftp://x' },
      { authorization: h.rootToken },
    );
    assert.equal(invalid.status, false);
  });

  it('serves Bull Board to an admin session cookie only, with readable job names', async () => {
    const model = uniqueModel('board');
    await createChannel(h, { models: [model] });
    await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.rootKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    }).then((response) => response.text());
    assert.equal((await fetch(`${h.url}/admin/queues`)).status, 401);
    await createUser('board-user', 'board-pass');
    const userCookie = (await login('board-user', 'board-pass')).cookie?.split(';')[0] ?? '';
    assert.equal((await fetch(`${h.url}/admin/queues`, { headers: { cookie: userCookie } })).status, 401);
    const rootCookie = (await login('root', 'root-test-password')).cookie?.split(';')[0] ?? '';
    const page = await fetch(`${h.url}/admin/queues`, { headers: { cookie: rootCookie } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const api = await fetch(`${h.url}/admin/queues/api/queues?activeQueue=chat&status=completed&page=1`, {
      headers: { cookie: rootCookie },
    });
    const queues = (await api.json()) as { queues: { name: string; jobs: { name: string }[] }[] };
    assert.deepEqual(queues.queues.map((queue) => queue.name).sort(), ['billing', 'chat', 'maintenance']);
    const chat = queues.queues.find((queue) => queue.name === 'chat');
    assert.ok(chat, 'the chat queue is listed');
    assert.ok(
      chat.jobs.some((job) => job.name === `chat ${model} stream`),
      JSON.stringify(chat.jobs.map((j) => j.name)),
    );
    assert.equal(
      (
        await fetch(`${h.url}/apikey`, {
          headers: { cookie: rootCookie, 'x-forwarded-for': freshClientIp() },
        })
      ).status,
      401,
      'cookie only for Bull Board',
    );
  });

  it('answers /health and /ready', async () => {
    assert.deepEqual(await (await fetch(`${h.url}/health`)).json(), { status: 'ok' });
    const ready = await fetch(`${h.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', mysql: true, redis: true, draining: false });
  });
});
