// Admin users and settings: paged search (wildcards literal), quota top-up/override clamped at
// 0, bans and password changes that stop JWTs and keys at once (also in another api process),
// settings view with the mail password masked, invalid settings refused naming the field.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../shared/auth/password.js';
import { db } from '../shared/db.js';
import { type Harness, harness, postJson } from './support/harness.js';
import { type Child, freePort, spawnEntry, stopChild, waitForReady } from './support/processes.js';

const unique = () => randomBytes(4).toString('hex');
/** A fresh client address per request, so per-IP web throttles never interfere. */
const fromAnywhere = (headers: Record<string, string> = {}) => ({
  ...headers,
  'x-forwarded-for': `10.${[...randomBytes(3)].join('.')}`,
});
const post = (url: string, path: string, body: unknown, token = '') =>
  postJson(url, path, body, fromAnywhere(token ? { authorization: token } : {}));
const get = (url: string, path: string, token = '') =>
  fetch(`${url}${path}`, { headers: fromAnywhere(token ? { authorization: token } : {}) });

async function createUser(username: string, password: string, extra: Record<string, unknown> = {}) {
  const [id] = await db()('auth').insert({
    username,
    password: await hashPassword(password),
    token: randomBytes(16).toString('hex'),
    ...extra,
  });
  return Number(id);
}

describe('accounts: admin users and settings', function () {
  this.timeout(30_000);
  let h: Harness;
  const login = async (username: string, password: string) => {
    const result = await post(h.url, '/login', { username, password });
    assert.equal(result.status, true, JSON.stringify(result));
    return String(result.token);
  };
  const state = async (url: string, token: string) => (await post(url, '/state', {}, token)).status;
  const list = async (query: string) =>
    (await (await get(h.url, `/admin/user/list?${query}`, h.rootToken)).json()) as {
      status: boolean;
      data: { total: number; page: number; data: { id: number; username: string; quota: number }[] };
    };

  before(async () => {
    h = await harness();
  });

  it('refuses /admin/* to non-admins (403) and anonymous callers (401)', async () => {
    const name = `plain-${unique()}`;
    await createUser(name, 'plain-pass');
    const token = await login(name, 'plain-pass');
    for (const path of ['/admin/user/list', '/admin/config/view']) {
      assert.equal((await get(h.url, path, token)).status, 403, path);
      assert.equal((await get(h.url, path)).status, 401, path);
    }
    const update = await fetch(`${h.url}/admin/config/update`, {
      method: 'POST',
      headers: fromAnywhere({ authorization: token, 'content-type': 'application/json' }),
      body: JSON.stringify({ site: { close_register: true } }),
    });
    assert.equal(update.status, 403);
    assert.equal(h.api.context.settings.get().site.close_register, false);
  });

  it('lists users 10 per page (0-based) and searches username or email with literal wildcards', async () => {
    const tag = `pg${unique()}`;
    const rows = Array.from({ length: 23 }, (_, i) => ({
      username: `${tag}-${i}`,
      email: `${tag}-${i}@list.test`,
    }));
    await db()('auth').insert(rows.map((row) => ({ ...row, password: 'unused', token: unique() })));
    const first = await list(`search=${tag}`);
    assert.equal(first.status, true);
    assert.equal(first.data.total, 23);
    assert.equal(first.data.page, 0);
    assert.deepEqual(
      first.data.data.map((u) => u.username),
      Array.from({ length: 10 }, (_, i) => `${tag}-${i}`),
    );
    const last = await list(`search=${tag}&page=2`);
    assert.deepEqual(
      last.data.data.map((u) => u.username),
      [`${tag}-20`, `${tag}-21`, `${tag}-22`],
    );
    const row = first.data.data[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(row).sort(), [
      'email',
      'expired_at',
      'id',
      'is_admin',
      'is_banned',
      'level',
      'quota',
      'used_quota',
      'username',
    ]);
    const pct = `p%${unique()}`;
    const under = `u_${unique()}`;
    const names = [pct, pct.replace('%', 'x'), under, under.replace('_', 'y')];
    await db()('auth').insert(names.map((username) => ({ username, password: 'unused', token: unique() })));
    const byPercent = await list(`search=${encodeURIComponent(pct)}`);
    assert.deepEqual(
      byPercent.data.data.map((u) => u.username),
      [pct],
    );
    const byUnderscore = await list(`search=${encodeURIComponent(under)}`);
    assert.deepEqual(
      byUnderscore.data.data.map((u) => u.username),
      [under],
    );
    const byEmail = await list(`search=${tag}-7@list`);
    assert.deepEqual(
      byEmail.data.data.map((u) => u.username),
      [`${tag}-7`],
    );
    assert.equal((await list('page=-1')).status, false);
  });

  it('tops up, takes down (never below 0) and overrides the balance', async () => {
    const name = `quota-${unique()}`;
    const id = await createUser(name, 'quota-pass');
    const token = await login(name, 'quota-pass');
    const quota = (body: Record<string, unknown>) =>
      post(h.url, '/admin/user/quota', { id, ...body }, h.rootToken);
    assert.deepEqual(
      await quota({ quota: 10.5 }),
      { status: true, quota: 10.5 },
      'creates the missing quota row',
    );
    assert.deepEqual(await quota({ quota: 2.123456 }), { status: true, quota: 12.623456 });
    assert.deepEqual(await quota({ quota: -100 }), { status: true, quota: 0 }, 'clamped at 0');
    assert.deepEqual(await quota({ quota: 7.25, override: true }), { status: true, quota: 7.25 });
    const negative = await quota({ quota: -1, override: true });
    assert.equal(negative.status, false);
    assert.match(String(negative.error), /cannot be negative/);
    assert.equal((await quota({ quota: 'x' })).status, false);
    const missing = await post(h.url, '/admin/user/quota', { id: 999_999_999, quota: 1 }, h.rootToken);
    assert.deepEqual([missing.status, missing.error], [false, 'user not found']);
    assert.deepEqual(await (await get(h.url, '/quota', token)).json(), { status: true, quota: 7.25 });
    const [listed] = (await list(`search=${name}`)).data.data;
    assert.equal(listed.quota, 7.25);
  });

  it('a ban makes the JWT anonymous and the API key 403 at once; root and yourself cannot be banned, only root changes the root password', async () => {
    const name = `ban-${unique()}`;
    const id = await createUser(name, 'ban-pass');
    const token = await login(name, 'ban-pass');
    const key = String(((await (await get(h.url, '/apikey', token)).json()) as { key: string }).key);
    const models = () => fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await models()).status, 200);
    assert.equal(await state(h.url, token), true);
    assert.deepEqual(await post(h.url, '/admin/user/ban', { id, ban: true }, h.rootToken), { status: true });
    assert.equal(await state(h.url, token), false);
    assert.equal((await models()).status, 403);
    const refused = await post(h.url, '/login', { username: name, password: 'ban-pass' });
    assert.deepEqual([refused.status, refused.error], [false, 'this account is banned']);
    assert.deepEqual(await post(h.url, '/admin/user/ban', { id, ban: false }, h.rootToken), { status: true });
    assert.equal(await state(h.url, token), true, 'an unban restores the same token');
    assert.equal((await models()).status, 200);

    const adminName = `admin-${unique()}`;
    const adminId = await createUser(adminName, 'admin-pass', { is_admin: true });
    const adminToken = await login(adminName, 'admin-pass');
    const rootId = Number((await db()('auth').where({ username: 'root' }).first('id')).id);
    const root = await post(h.url, '/admin/user/ban', { id: rootId, ban: true }, adminToken);
    assert.deepEqual([root.status, root.error], [false, 'the root user cannot be banned']);
    const self = await post(h.url, '/admin/user/ban', { id: adminId, ban: true }, adminToken);
    assert.deepEqual([self.status, self.error], [false, 'you cannot ban yourself']);
    const takeover = await post(
      h.url,
      '/admin/user/password',
      { id: rootId, password: 'taken-over' },
      adminToken,
    );
    assert.deepEqual([takeover.status, takeover.error], [false, 'only root can change the root password']);
    assert.equal(await state(h.url, h.rootToken), true);
  });

  it('an admin password change stops old JWTs at once, also in another api process', async () => {
    const name = `pw-${unique()}`;
    const id = await createUser(name, 'first-pass');
    const token = await login(name, 'first-pass');
    const port = await freePort();
    const other: Child = spawnEntry('api/main.ts', { SERVER_PORT: String(port), SERVER_HOST: '127.0.0.1' });
    try {
      const otherUrl = `http://127.0.0.1:${port}`;
      await waitForReady(otherUrl, other);
      assert.equal(await state(otherUrl, token), true, 'cached in the other process');
      const short = await post(h.url, '/admin/user/password', { id, password: '123' }, h.rootToken);
      assert.match(String(short.error), /'password'/);
      assert.deepEqual(
        await post(h.url, '/admin/user/password', { id, password: 'second-pass' }, h.rootToken),
        {
          status: true,
        },
      );
      assert.equal(await state(h.url, token), false);
      const deadline = Date.now() + 1000;
      while ((await state(otherUrl, token)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(await state(otherUrl, token), false, 'the other process dropped it on the announcement');
      const fresh = await login(name, 'second-pass');
      assert.equal(await state(otherUrl, fresh), true);
    } finally {
      await stopChild(other, 'SIGKILL');
    }
  });

  it('shows settings with the mail password masked and keeps it when the mask is posted back', async () => {
    const update = (patch: unknown) => post(h.url, '/admin/config/update', patch, h.rootToken);
    try {
      const saved = await update({ mail: { password: 'smtp-secret', username: 'mailer' } });
      assert.equal(saved.status, true, JSON.stringify(saved));
      assert.equal((saved.data as { mail: { password: string } }).mail.password, '******');
      const view = (await (await get(h.url, '/admin/config/view', h.rootToken)).json()) as {
        status: boolean;
        data: Record<string, Record<string, unknown>>;
      };
      assert.equal(view.status, true);
      assert.deepEqual(Object.keys(view.data).sort(), [
        'billing',
        'cache',
        'limits',
        'mail',
        'search',
        'site',
      ]);
      assert.equal(view.data.mail.password, '******');
      assert.equal(view.data.mail.username, 'mailer');
      assert.doesNotMatch(JSON.stringify(view), /smtp-secret/);
      assert.equal((await update({ mail: { ...view.data.mail, from: 'a@b.test' } })).status, true);
      assert.equal(
        h.api.context.settings.get().mail.password,
        'smtp-secret',
        'the mask keeps the stored one',
      );
      const row = await db()('setting').where({ key: 'mail' }).first('value');
      assert.equal(JSON.parse(row.value).password, 'smtp-secret');
      const info = await (await get(h.url, '/info')).json();
      assert.doesNotMatch(JSON.stringify(info), /smtp-secret|mailer/);
    } finally {
      assert.equal((await update({ mail: { password: '', username: '', from: '' } })).status, true);
    }
  });

  it('refuses invalid settings naming the field and changes nothing', async () => {
    const update = (patch: unknown) => post(h.url, '/admin/config/update', patch, h.rootToken);
    const cases: [unknown, string][] = [
      [{ site: { quota: -1 } }, 'site.quota'],
      [{ mail: { port: 'x' } }, 'mail.port'],
      [{ limits: { rpm: 1.5 } }, 'limits.rpm'],
      [{ nonsense: {} }, 'nonsense'],
      [{ site: 'closed' }, 'site'],
    ];
    for (const [patch, field] of cases) {
      const result = await update(patch);
      assert.equal(result.status, false, JSON.stringify(patch));
      assert.ok(String(result.error).includes(`'${field}'`), `${JSON.stringify(result)} names ${field}`);
    }
    assert.equal(h.api.context.settings.get().site.quota >= 0, true);
    assert.equal(h.api.context.settings.get().mail.port, 465);
  });
});
