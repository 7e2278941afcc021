// Plan-paid relay requests: a covered model under its monthly count is paid by the plan, not
// the balance; a failed request gives the count back; past the count the balance pays.
import assert from 'node:assert/strict';
import { db } from '../shared/db.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { balanceOf, createPayingUser, usageRecordOf } from './support/users.js';

describe('billing: plan-paid requests', function () {
  this.timeout(30_000);
  let h: Harness;
  let model: string;
  let failing: string;
  let savedPlans: unknown;

  const admin = (path: string, body: unknown) => postJson(h.url, path, body, { authorization: h.rootToken });

  before(async () => {
    h = await harness();
    model = uniqueModel('plan-model');
    failing = uniqueModel('plan-failing');
    await createChannel(h, { models: [model] });
    await createChannel(h, { models: [failing], endpoint: `${h.mock.url}/mock/fail=503` });
    await admin('/admin/charge/set', { id: -1, type: 'times-billing', models: [model, failing], output: 1 });
    const view = await fetch(`${h.url}/admin/plan/view`, { headers: { authorization: h.rootToken } });
    savedPlans = ((await view.json()) as { data: unknown }).data;
    const item = { id: 'plan-chat', name: 'Chat', icon: '', value: 2, models: [model, failing] };
    const plans = [1, 2, 3].map((level) => ({
      level,
      name: `L${level}`,
      price: 10 * level,
      items: level === 1 ? [item] : [],
    }));
    assert.equal((await admin('/admin/plan/update', { data: plans })).status, true);
    assert.equal((await admin('/admin/config/update', { site: { relay_plan: true } })).status, true);
  });

  after(async () => {
    await admin('/admin/config/update', { site: { relay_plan: false } });
    if (Array.isArray(savedPlans) && savedPlans.length > 0)
      await admin('/admin/plan/update', { data: savedPlans });
  });

  async function subscriber(balance: number) {
    const user = await createPayingUser(balance, 'sub');
    const now = new Date();
    await db()('subscription').insert({
      user_id: user.id,
      level: 1,
      started_at: now,
      expired_at: new Date(now.getTime() + 30 * 86_400_000),
      total_month: 1,
    });
    return user;
  }

  const chat = (key: string, chosen: string) =>
    fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: chosen, messages: [{ role: 'user', content: 'hi' }] }),
    });

  const record = (response: Response) => usageRecordOf(String(response.headers.get('x-request-id')));

  const used = async (userId: number) =>
    Number((await db()('plan_usage').where({ user_id: userId, item_id: 'plan-chat' }).first())?.used ?? 0);

  it('pays covered requests from the plan until its count is used, then from the balance', async () => {
    const user = await subscriber(10);
    for (const expected of [1, 2]) {
      const response = await chat(user.key, model);
      assert.equal(response.status, 200);
      assert.equal((await record(response)).source, 'plan');
      assert.equal(await used(user.id), expected);
    }
    assert.deepEqual(await balanceOf(user.id), { quota: 10, used: 0 }, 'the plan paid, not the balance');
    const third = await chat(user.key, model);
    assert.equal((await record(third)).source, 'balance');
    assert.deepEqual(await balanceOf(user.id), { quota: 9, used: 1 });
  });

  it('gives the count back when the request fails', async () => {
    const user = await subscriber(0);
    const response = await chat(user.key, failing);
    assert.equal(response.status, 502);
    const row = await record(response);
    assert.equal(row.source, 'plan');
    assert.equal(row.end_reason, 'upstream_error');
    assert.equal(await used(user.id), 0);
  });

  it('leaves plans out of /v1 requests while relay_plan is off', async () => {
    await admin('/admin/config/update', { site: { relay_plan: false } });
    try {
      const user = await subscriber(0);
      const response = await chat(user.key, model);
      assert.equal(response.status, 429);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
    } finally {
      await admin('/admin/config/update', { site: { relay_plan: true } });
    }
  });
});
