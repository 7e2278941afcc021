// Plans and subscriptions over HTTP: admin plan validation and /v1/plans, buying with enough
// and too little balance, renewing, upgrading, downgrading, /subscription with usage, and
// concurrent purchases that must never pay twice or overdraw.
import assert from 'node:assert/strict';
import { createLoggedInUser } from './support/users.js';
import { hashPassword } from '../shared/auth/password.js';
import {
  addMonths,
  currentPeriodStart,
  DAY_MS,
  periodDate,
  subscriptionAnchor,
} from '../shared/billing/subscription-math.js';
import { db } from '../shared/db.js';
import { announceInvalidate } from '../shared/pubsub.js';
import { type Harness, harness } from './support/harness.js';
import { freshClientIp, webRequest } from './support/client-ip.js';

type Body = Record<string, unknown>;

// Plans are global: set here and left in place for later test files.
const PLANS = [
  {
    level: 1,
    name: 'Basic',
    price: 30,
    items: [{ id: 'sub-chat', name: 'Chat', icon: 'message', value: 100, models: ['sub-model-a'] }],
  },
  {
    level: 2,
    name: 'Standard',
    price: 60,
    items: [
      { id: 'sub-chat', name: 'Chat', icon: 'message', value: 300, models: ['sub-model-a', 'sub-model-b'] },
      { id: 'sub-image', name: 'Images', icon: 'image', value: -1, models: ['sub-image'] },
    ],
  },
  {
    level: 3,
    name: 'Pro',
    price: 90,
    items: [
      { id: 'sub-chat', name: 'Chat', icon: 'message', value: -1, models: ['sub-model-a', 'sub-model-b'] },
      { id: 'sub-image', name: 'Images', icon: 'image', value: 50, models: ['sub-image'] },
    ],
  },
];

describe('plans and subscriptions', function () {
  this.timeout(30_000);
  let h: Harness;
  let passwordHash: string;

  const request = (path: string, token: string, body?: unknown) => webRequest(h.url, path, token, body);
  const subscribe = (token: string, level: number, month: number) =>
    request('/subscribe', token, { level, month }).then((r) => r.body);

  const createUser = (label: string, balance: string) =>
    createLoggedInUser(h.url, label, balance, passwordHash, 'sub-pass', {
      'x-forwarded-for': freshClientIp(),
    });
  const balance = async (userId: number) =>
    String((await db()('quota').where({ user_id: userId }).first('quota')).quota);
  const subscriptionRow = (userId: number) => db()('subscription').where({ user_id: userId }).first();
  const near = (actual: Date, expected: number, toleranceMs = 5000) =>
    assert.ok(
      Math.abs(actual.getTime() - expected) <= toleranceMs,
      `${actual.toISOString()} vs ${new Date(expected).toISOString()}`,
    );

  before(async () => {
    h = await harness();
    passwordHash = await hashPassword('sub-pass');
    const updated = await request('/admin/plan/update', h.rootToken, { data: PLANS });
    assert.equal(updated.body.status, true, JSON.stringify(updated.body));
  });

  it('serves the plans publicly and to admins', async () => {
    const listed = await fetch(`${h.url}/v1/plans`).then((r) => r.json() as Promise<Body>);
    assert.deepEqual(listed, { status: true, data: PLANS });
    assert.deepEqual((await request('/admin/plan/view', h.rootToken)).body, { status: true, data: PLANS });
  });

  it('reloads plans in every process when a change is announced', async () => {
    const context = h.api.context;
    assert.equal(context.plans.coveringItem(2, 'sub-image')?.id, 'sub-image');
    assert.equal(context.plans.coveringItem(1, 'sub-image'), null);
    try {
      await db()('plan').where({ level: 1 }).update({ name: 'Renamed elsewhere' });
      await announceInvalidate(context.redis, context.keys.invalidateChannel, 'plans');
      const deadline = Date.now() + 3000;
      while (context.plans.find(1)?.name !== 'Renamed elsewhere' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(context.plans.find(1)?.name, 'Renamed elsewhere');
    } finally {
      assert.equal((await request('/admin/plan/update', h.rootToken, { data: PLANS })).body.status, true);
    }
    assert.equal(context.plans.find(1)?.name, 'Basic');
  });

  it('validates plan updates and keeps the old plans on a refusal', async () => {
    const item = { id: 'x', name: 'X', icon: '', value: 1, models: ['m'] };
    const invalid: [string, unknown][] = [
      ['duplicate level', [PLANS[0], PLANS[0]]],
      ['level 4', [{ ...PLANS[0], level: 4 }]],
      ['level 0', [{ ...PLANS[0], level: 0 }]],
      ['negative price', [{ ...PLANS[0], price: -1 }]],
      ['duplicate item id', [{ ...PLANS[0], items: [item, item] }]],
      ['value -2', [{ ...PLANS[0], items: [{ ...item, value: -2 }] }]],
      ['missing data', undefined],
    ];
    for (const [label, data] of invalid) {
      const result = await request('/admin/plan/update', h.rootToken, { data });
      assert.equal(result.body.status, false, label);
      assert.match(String(result.body.error), /Invalid value/, label);
    }
    assert.deepEqual((await fetch(`${h.url}/v1/plans`).then((r) => r.json())) as Body, {
      status: true,
      data: PLANS,
    });
    const user = await createUser('plan-user', '0');
    assert.equal((await request('/admin/plan/view', user.token)).status, 403);
    assert.equal((await request('/admin/plan/update', user.token, { data: PLANS })).status, 403);
  });

  it('refuses a purchase the balance cannot cover, changing nothing', async () => {
    const user = await createUser('poor', '29.999999');
    assert.deepEqual(await subscribe(user.token, 1, 1), { status: false, error: 'insufficient quota' });
    assert.equal(await balance(user.id), '29.999999');
    assert.equal(await subscriptionRow(user.id), undefined);
    const status = (await request('/subscription', user.token)).body;
    assert.deepEqual(status, {
      status: true,
      level: 0,
      is_subscribed: false,
      enterprise: false,
      expired: 0,
      expired_at: null,
      refresh: 0,
      refresh_at: null,
      usage: {},
    });
  });

  it('buys, renews, upgrades and downgrades with exact balances', async () => {
    const user = await createUser('subscriber', '1000');
    const bought = await subscribe(user.token, 1, 1);
    assert.equal(bought.status, true, JSON.stringify(bought));
    assert.equal((bought.data as Body).cost, 30);
    assert.equal(await balance(user.id), '970.000000');
    let row = await subscriptionRow(user.id);
    assert.equal(row.level, 1);
    assert.equal(row.total_month, 1);
    near(row.started_at, Date.now());
    near(row.expired_at, addMonths(row.started_at, 1).getTime(), 0);

    const status = (await request('/subscription', user.token)).body;
    assert.equal(status.level, 1);
    assert.equal(status.is_subscribed, true);
    assert.ok(Number(status.expired) >= 27 && Number(status.expired) <= 31, String(status.expired));
    assert.equal(status.expired_at, row.expired_at.toISOString());
    assert.equal(status.refresh_at, addMonths(row.started_at, 1).toISOString());
    assert.deepEqual(status.usage, { 'sub-chat': { used: 0, total: 100 } });

    // Same level: 6 months at 10% off, from the current expiry.
    const expiry = row.expired_at as Date;
    assert.equal((await subscribe(user.token, 1, 6)).status, true);
    assert.equal(await balance(user.id), '808.000000');
    row = await subscriptionRow(user.id);
    assert.equal(row.expired_at.toISOString(), addMonths(expiry, 6).toISOString());
    assert.equal(row.total_month, 7);

    // Upgrade 1 -> 3 with 10 days left: (90 - 30) * 10 / 30 = 20 points, expiry kept.
    const tenDays = new Date(Math.floor(Date.now() / 1000) * 1000 + 10 * DAY_MS);
    await db()('subscription').where({ user_id: user.id }).update({ expired_at: tenDays });
    const upgraded = await subscribe(user.token, 3, 12);
    assert.equal(upgraded.status, true, JSON.stringify(upgraded));
    assert.equal((upgraded.data as Body).kind, 'upgrade');
    const afterUpgrade = Number(await balance(user.id));
    assert.ok(afterUpgrade >= 788 && afterUpgrade <= 788.001, String(afterUpgrade));
    row = await subscriptionRow(user.id);
    assert.deepEqual(
      [row.level, row.total_month, row.expired_at.toISOString()],
      [3, 7, tenDays.toISOString()],
    );

    // Downgrade 3 -> 1: free, 10 days at 90 buy 30 days at 30.
    const before = await balance(user.id);
    const downgraded = await subscribe(user.token, 1, 1);
    assert.equal((downgraded.data as Body).kind, 'downgrade');
    assert.equal(await balance(user.id), before);
    row = await subscriptionRow(user.id);
    assert.equal(row.level, 1);
    near(row.expired_at, Date.now() + 30 * DAY_MS, 10_000);
    assert.equal(row.total_month, 7);

    // Expired: a new purchase starts now, 12 months at 20% off.
    await db()('subscription')
      .where({ user_id: user.id })
      .update({ expired_at: new Date(Date.now() - DAY_MS) });
    const beforeRenewal = await balance(user.id);
    const renewed = await subscribe(user.token, 2, 12);
    assert.equal((renewed.data as Body).kind, 'new');
    assert.equal((renewed.data as Body).cost, 576);
    assert.equal(Number(beforeRenewal) - Number(await balance(user.id)), 576);
    row = await subscriptionRow(user.id);
    near(row.started_at, Date.now());
    assert.deepEqual([row.level, row.total_month], [2, 19]);
  });

  it('reports this period usage per plan item', async () => {
    const user = await createUser('usage', '100');
    assert.equal((await subscribe(user.token, 2, 1)).status, true);
    const row = await subscriptionRow(user.id);
    const anchor = subscriptionAnchor(row) as Date;
    const period = periodDate(currentPeriodStart(anchor, new Date()));
    await db()('plan_usage').insert([
      { user_id: user.id, item_id: 'sub-chat', period_start: period, used: 7 },
      { user_id: user.id, item_id: 'sub-image', period_start: '2000-01-01', used: 99 },
    ]);
    const status = (await request('/subscription', user.token)).body;
    assert.deepEqual(status.usage, {
      'sub-chat': { used: 7, total: 300 },
      'sub-image': { used: 0, total: -1 },
    });
    assert.ok(Number(status.refresh) >= 27 && Number(status.refresh) <= 31, String(status.refresh));
  });

  it('validates the request', async () => {
    const user = await createUser('invalid-sub', '1000');
    for (const body of [
      { level: 0, month: 1 },
      { level: 4, month: 1 },
      { level: 1, month: 0 },
      { level: 1, month: 1000 },
      { level: '1', month: 1 },
      { level: 1, month: 1.5 },
    ]) {
      const result = await request('/subscribe', user.token, body);
      assert.equal(result.body.status, false, JSON.stringify(body));
    }
    assert.equal(await balance(user.id), '1000.000000');
    assert.equal((await request('/subscribe', '', { level: 1, month: 1 })).status, 401);
    assert.equal((await request('/subscription', '')).status, 401);
  });

  it('lets exactly one of 20 concurrent purchases through when the balance covers one', async () => {
    const user = await createUser('race-one', '30');
    const results = await Promise.all(Array.from({ length: 20 }, () => subscribe(user.token, 1, 1)));
    assert.equal(results.filter((r) => r.status === true).length, 1, JSON.stringify(results));
    for (const result of results.filter((r) => r.status !== true))
      assert.equal(result.error, 'insufficient quota');
    assert.equal(await balance(user.id), '0.000000');
    const row = await subscriptionRow(user.id);
    assert.deepEqual([row.level, row.total_month], [1, 1]);
  });

  it('serialises concurrent purchases: two paid months extend one subscription', async () => {
    const user = await createUser('race-two', '60.5');
    const results = await Promise.all(Array.from({ length: 20 }, () => subscribe(user.token, 1, 1)));
    assert.equal(results.filter((r) => r.status === true).length, 2, JSON.stringify(results));
    assert.equal(await balance(user.id), '0.500000');
    const row = await subscriptionRow(user.id);
    assert.equal(row.total_month, 2);
    assert.equal(row.expired_at.toISOString(), addMonths(row.started_at, 2).toISOString());
  });
});
