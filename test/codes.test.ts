// Redeem and invitation codes: admin generate/list/delete, single use under 50 racing
// requests, one invitation per type per user, clear errors, admin-only management.
import assert from 'node:assert/strict';
import { createLoggedInUser } from './support/users.js';
import { hashPassword } from '../shared/auth/password.js';
import { db } from '../shared/db.js';
import { type Harness, harness } from './support/harness.js';
import { freshClientIp, webRequest } from './support/client-ip.js';

type Body = Record<string, unknown>;

describe('redeem and invitation codes', function () {
  this.timeout(30_000);
  let h: Harness;
  let passwordHash: string;

  const request = (path: string, token: string, body?: unknown) => webRequest(h.url, path, token, body);
  const admin = (path: string, body?: unknown) => request(path, h.rootToken, body).then((r) => r.body);

  const createUser = (label: string, balance = '0') =>
    createLoggedInUser(h.url, label, balance, passwordHash, 'code-pass', {
      'x-forwarded-for': freshClientIp(),
    });
  const balance = async (userId: number) =>
    String((await db()('quota').where({ user_id: userId }).first('quota')).quota);

  before(async () => {
    h = await harness();
    passwordHash = await hashPassword('code-pass');
  });

  it('generates redeem codes with nio- + 32 characters and lists them 10 per page', async () => {
    const generated = await admin('/admin/redeem/generate', { quota: 5, number: 12 });
    assert.equal(generated.status, true);
    const codes = generated.data as string[];
    assert.equal(codes.length, 12);
    for (const code of codes) assert.match(code, /^nio-[A-Za-z0-9]{32}$/);
    assert.equal(new Set(codes).size, 12);
    const first = (await admin('/admin/redeem/list?page=0')).data as {
      total: number;
      page: number;
      data: Body[];
    };
    assert.ok(first.total >= 12);
    assert.equal(first.page, 0);
    assert.equal(first.data.length, 10);
    assert.deepEqual(Object.keys(first.data[0]).sort(), [
      'code',
      'created_at',
      'quota',
      'updated_at',
      'used',
    ]);
    assert.equal(first.data[0].quota, 5);
    assert.equal(first.data[0].used, false);
    const second = (await admin('/admin/redeem/list?page=1')).data as { data: Body[] };
    assert.ok(second.data.length >= 2);
    const listed = [...first.data, ...second.data].map((row) => row.code);
    assert.ok(
      codes.every((code) => listed.includes(code)),
      'newest first',
    );
    assert.equal((await admin('/admin/redeem/list?page=-1')).status, false);
  });

  it('credits a redeem code exactly once among 50 concurrent requests from several users', async () => {
    const [code] = (await admin('/admin/redeem/generate', { quota: 12.5, number: 1 })).data as string[];
    const users = await Promise.all(['race-a', 'race-b', 'race-c'].map((label) => createUser(label, '1')));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request(`/redeem?code=${code}`, users[i % 5 === 0 ? 0 : i % 3].token),
      ),
    );
    const winners = results.filter((r) => r.body.status === true);
    assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.body)));
    assert.equal(winners[0].body.quota, 12.5);
    assert.ok(results.every((r) => r.status === 200));
    for (const loser of results.filter((r) => r.body.status !== true)) {
      assert.deepEqual(loser.body, {
        status: false,
        error: 'this redeem code has already been used',
        quota: 0,
      });
    }
    const balances = await Promise.all(users.map((user) => balance(user.id)));
    assert.deepEqual(balances.sort(), ['1.000000', '1.000000', '13.500000']);
    assert.equal((await db()('redeem').where({ code }).first('used')).used, true);
  });

  it('refuses unknown and missing codes clearly, and needs a login', async () => {
    const user = await createUser('unknown-code');
    const unknown = await request('/redeem?code=nio-doesnotexist', user.token);
    assert.deepEqual(unknown.body, { status: false, error: 'invalid redeem code', quota: 0 });
    assert.equal((await request('/redeem', user.token)).body.error, 'code is required');
    assert.equal(
      (await request('/invite?code=nobody-123', user.token)).body.error,
      'invalid invitation code',
    );
    assert.equal((await request('/redeem?code=nio-x', '')).status, 401);
    assert.equal(await balance(user.id), '0.000000');
  });

  it('allows one invitation code per type per user and each code once', async () => {
    const generate = async (type: string, quota: number, number: number) => {
      const result = await admin('/admin/invitation/generate', { type, quota, number });
      assert.equal(result.status, true, JSON.stringify(result));
      return result.data as string[];
    };
    const [a1, a2] = await generate('alpha', 3, 2);
    const [b1] = await generate('beta', 0.25, 1);
    assert.match(a1, /^alpha-[A-Za-z0-9]{24}$/);
    const user = await createUser('inviter');
    const other = await createUser('invitee');
    assert.deepEqual((await request(`/invite?code=${a1}`, user.token)).body, {
      status: true,
      error: '',
      quota: 3,
    });
    assert.deepEqual((await request(`/invite?code=${a2}`, user.token)).body, {
      status: false,
      error: "you have already used an invitation code of type 'alpha'",
      quota: 0,
    });
    assert.equal(
      (await request(`/invite?code=${a1}`, other.token)).body.error,
      'this invitation code has already been used',
    );
    assert.equal((await request(`/invite?code=${b1}`, user.token)).body.status, true, 'another type is fine');
    assert.equal((await request(`/invite?code=${a2}`, other.token)).body.status, true, 'a2 is still unused');
    assert.equal(await balance(user.id), '3.250000');
    assert.equal(await balance(other.id), '3.000000');
    const list = (await admin('/admin/invitation/list')).data as { data: Body[] };
    const row = list.data.find((entry) => entry.code === a1);
    assert.deepEqual(
      { type: row?.type, quota: row?.quota, used: row?.used, username: typeof row?.username },
      { type: 'alpha', quota: 3, used: true, username: 'string' },
    );
    assert.notEqual(row?.username, '');
  });

  it('races invitation codes: one per user per type, each code once', async () => {
    const codes = (await admin('/admin/invitation/generate', { type: 'race', quota: 2, number: 3 }))
      .data as string[];
    const users = await Promise.all(['inv-race-a', 'inv-race-b'].map((label) => createUser(label)));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => request(`/invite?code=${codes[i % 3]}`, users[i % 2].token)),
    );
    const winners = results.filter((r) => r.body.status === true);
    assert.equal(winners.length, 2, JSON.stringify(results.map((r) => r.body.error)));
    assert.deepEqual(await Promise.all(users.map((user) => balance(user.id))), ['2.000000', '2.000000']);
    const rows = await db()('invitation').whereIn('code', codes).where({ used: true }).select('used_id');
    assert.deepEqual(rows.map((r) => Number(r.used_id)).sort(), users.map((u) => u.id).sort());
  });

  it('deletes codes and validates generation', async () => {
    const [code] = (await admin('/admin/redeem/generate', { quota: 1, number: 1 })).data as string[];
    assert.deepEqual(await admin('/admin/redeem/delete', { code }), { status: true });
    assert.equal((await admin('/admin/redeem/delete', { code })).status, false);
    const [invite] = (await admin('/admin/invitation/generate', { type: 'gone', quota: 1, number: 1 }))
      .data as string[];
    assert.deepEqual(await admin('/admin/invitation/delete', { code: invite }), { status: true });
    const user = await createUser('deleted-code');
    assert.equal((await request(`/redeem?code=${code}`, user.token)).body.error, 'invalid redeem code');
    for (const body of [
      { quota: 1, number: 0 },
      { quota: 1, number: 1001 },
      { quota: 0, number: 1 },
      { quota: -1, number: 1 },
      { number: 1 },
    ]) {
      assert.equal((await admin('/admin/redeem/generate', body)).status, false, JSON.stringify(body));
    }
    assert.equal(
      (await admin('/admin/invitation/generate', { type: 'has space', quota: 1, number: 1 })).status,
      false,
    );
    assert.equal((await admin('/admin/invitation/generate', { quota: 1, number: 1 })).status, false);
    const many = (await admin('/admin/redeem/generate', { quota: 0.5, number: 1000 })).data as string[];
    assert.equal(many.length, 1000);
  });

  it('keeps code management to admins', async () => {
    const user = await createUser('not-admin');
    const routes: [string, unknown][] = [
      ['/admin/redeem/list', undefined],
      ['/admin/redeem/generate', { quota: 1, number: 1 }],
      ['/admin/redeem/delete', { code: 'x' }],
      ['/admin/invitation/list', undefined],
      ['/admin/invitation/generate', { type: 'x', quota: 1, number: 1 }],
      ['/admin/invitation/delete', { code: 'x' }],
    ];
    for (const [path, body] of routes) {
      const forbidden = await request(path, user.token, body);
      assert.equal(forbidden.status, 403, path);
      assert.equal(forbidden.body.status, false);
      assert.equal((await request(path, '', body)).status, 401, path);
    }
  });
});
