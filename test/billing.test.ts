// Money paths against the real MySQL and Redis: holds, exact settlement, concurrency,
// cancellation, failures, the quota field and the usage records.
import assert from 'node:assert/strict';
import { db } from '../shared/db.js';
import { toMicro } from '../shared/billing/money.js';
import { settle } from '../shared/billing/settle.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { readUntil } from './support/processes.js';
import { balanceOf, createPayingUser, usageRecordOf } from './support/users.js';

async function setCharge(h: Harness, rule: Record<string, unknown>): Promise<number> {
  const result = await postJson(
    h.url,
    '/admin/charge/set',
    { id: -1, ...rule },
    { authorization: h.rootToken },
  );
  assert.equal(result.status, true, JSON.stringify(result));
  return Number((result.data as { id: number }).id);
}

function chat(h: Harness, key: string, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello there' }], ...body }),
    signal,
  });
}

describe('billing', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await harness();
  });

  it('refuses a model without a price for non-admins', async () => {
    const model = uniqueModel('unpriced');
    await createChannel(h, { models: [model] });
    const user = await createPayingUser(100);
    const response = await chat(h, user.key, { model });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'model_not_priced');
  });

  it('50 concurrent requests from a balance that covers 5: exactly 5 paid, balance never below zero', async () => {
    const model = uniqueModel('concurrent');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'times-billing', models: [model], output: 2 });
    const user = await createPayingUser(10);
    const responses = await Promise.all(Array.from({ length: 50 }, () => chat(h, user.key, { model })));
    const statuses = responses.map((response) => response.status);
    await Promise.all(responses.map((response) => response.text()));
    assert.equal(statuses.filter((status) => status === 200).length, 5, statuses.join(','));
    assert.ok(statuses.every((status) => status === 200 || status === 429));
    const ids = responses.filter((r) => r.status === 200).map((r) => String(r.headers.get('x-request-id')));
    await Promise.all(ids.map(usageRecordOf));
    assert.deepEqual(await balanceOf(user.id), { quota: 0, used: 10 });
    const [{ rows }] = await db()('usage_record').where('user_id', user.id).count({ rows: '*' });
    assert.equal(Number(rows), 5, 'one usage row per successful request');
    const refused = responses.find((r) => r.status === 429);
    assert.ok(refused);
  });

  it('settles each request before its last byte: back-to-back requests are never refused for an earlier hold', async () => {
    const model = uniqueModel('back-to-back');
    await createChannel(h, { models: [model] });
    // Each hold is ~8.2 (4,096 default output tokens at 2 per 1k) from a balance of 10; each answer costs ~0.02.
    await setCharge(h, { type: 'token-billing', models: [model], input: 1, output: 2 });
    const user = await createPayingUser(10);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await chat(h, user.key, { model, stream: i % 2 === 0 });
      const text = await response.text();
      assert.equal(response.status, 200, `request ${i + 1}: ${text.slice(0, 200)}`);
      ids.push(String(response.headers.get('x-request-id')));
      // The moment the answer is complete, the hold is already settled.
      const hold = await db()('quota_hold').where('request_id', ids[i]).first('state');
      assert.equal(hold.state, 'settled', `request ${i + 1}`);
    }
    const rows = await Promise.all(ids.map(usageRecordOf));
    const charged = rows.reduce((sum, row) => sum + Number(row.cost), 0);
    const balance = await balanceOf(user.id);
    assert.equal(Math.round(balance.used * 1e6), Math.round(charged * 1e6));
    assert.equal(Math.round((balance.quota + balance.used) * 1e6), 10e6);
  });

  it('takes a clearly covered hold while the job is enqueued, and a refused one still ends the request unpaid', async () => {
    const model = uniqueModel('overlap');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'token-billing', models: [model], input: 1, output: 2 });
    const user = await createPayingUser(100);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await chat(h, user.key, { model, stream: i === 1 });
      assert.equal(response.status, 200);
      await response.text();
      ids.push(String(response.headers.get('x-request-id')));
    }
    const rows = await Promise.all(ids.map(usageRecordOf));
    const charged = rows.reduce((sum, row) => sum + Math.round(Number(row.cost) * 1e6), 0);
    assert.equal(Math.round((100 - (await balanceOf(user.id)).quota) * 1e6), charged);
    // The balance drops behind this process's back: the hint still says "covered", MySQL refuses.
    await db()('quota').where('user_id', user.id).update({ quota: '0.001000' });
    for (const stream of [false, true]) {
      const refused = await chat(h, user.key, { model, stream });
      assert.equal(refused.status, 429);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
      const id = String(refused.headers.get('x-request-id'));
      assert.equal(await db()('quota_hold').where('request_id', id).first(), undefined, 'no hold');
    }
    assert.equal((await balanceOf(user.id)).quota, 0.001, 'nothing was charged');
  });

  it('caps the output at what the balance covers when the client set no max_tokens, and says so', async () => {
    const model = uniqueModel('capped');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'token-billing', models: [model], input: 1, output: 2 });
    // The default budget (4,096 tokens at 2 per 1k) would hold ~8.2; the balance is 5.
    const user = await createPayingUser(5);
    const response = await chat(h, user.key, { model });
    const body = (await response.json()) as { quota: number };
    assert.equal(response.status, 200, JSON.stringify(body));
    const cap = Number(response.headers.get('x-output-tokens-capped'));
    assert.ok(cap > 2400 && cap < 4096, `cap ${cap}`);
    // The hold took what the balance covers, to within one output token.
    const hold = await db()('quota_hold')
      .where('request_id', response.headers.get('x-request-id'))
      .first('amount');
    assert.ok(Number(hold.amount) <= 5 && Number(hold.amount) > 5 - 0.002, `held ${hold.amount}`);
    const upstream = h.mock.requests.filter((r) => (r.body as { model?: string })?.model === model).at(-1);
    assert.ok(upstream, 'the upstream was called');
    assert.equal((upstream.body as { max_tokens?: number }).max_tokens, cap, 'the cap is sent upstream');
    const balance = await balanceOf(user.id);
    assert.equal(
      Math.round((5 - balance.quota) * 1e6),
      Math.round(body.quota * 1e6),
      'charged exactly the answer',
    );

    // A limit the client chose is never lowered: refused when the balance cannot cover it.
    const own = await chat(h, user.key, { model, max_tokens: 4096 });
    assert.equal(own.status, 429);
    assert.equal(((await own.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
    // Below the minimum budget (256 tokens) there is nothing to cap to.
    const poor = await createPayingUser(0.3);
    const refused = await chat(h, poor.key, { model });
    assert.equal(refused.status, 429);
    await refused.text();
    assert.deepEqual(await balanceOf(poor.id), { quota: 0.3, used: 0 });
  });

  it('settles the exact token cost, reports it as `quota`, and writes one usage row', async () => {
    const model = uniqueModel('tokens');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'token-billing', models: [model], input: 1, output: 2 });
    const user = await createPayingUser(100);
    const response = await chat(h, user.key, { model, max_tokens: 100 });
    const body = (await response.json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
      quota: number;
    };
    const expected = (body.usage.prompt_tokens * 1 + body.usage.completion_tokens * 2) / 1000;
    assert.equal(body.quota, expected);
    const record = await usageRecordOf(String(response.headers.get('x-request-id')));
    assert.equal(record.source, 'balance');
    assert.equal(record.end_reason, 'stop');
    assert.equal(Number(record.cost), expected);
    assert.equal(record.prompt_tokens, body.usage.prompt_tokens);
    assert.equal(record.completion_tokens, body.usage.completion_tokens);
    assert.ok(record.channel_id > 0 && record.latency_ms >= 0 && record.ttft_ms >= 0);
    const balance = await balanceOf(user.id);
    assert.equal(balance.used, expected);
    assert.equal(balance.quota, 100 - expected);
    const [daily] = await db()('usage_daily').where({ user_id: user.id, model });
    assert.equal(daily.requests, 1);
    assert.equal(Number(daily.cost), expected);
  });

  it('puts quota on the last stream chunk, and never for -official models', async () => {
    const model = uniqueModel('quota-field');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'times-billing', models: [model], output: 0.5 });
    const user = await createPayingUser(100);
    const first = await chat(h, user.key, { model, stream: true });
    const streamed = await first.text();
    const frames = streamed.split('\n\n').filter((frame) => frame.startsWith('data: {'));
    const last = JSON.parse(frames[frames.length - 1].slice(6));
    assert.equal(last.quota, 0.5);
    assert.equal(last.choices[0].finish_reason, 'stop');
    const official = await chat(h, user.key, { model: `${model}-official` });
    const body = (await official.json()) as { quota?: number; model: string };
    assert.equal(official.status, 200);
    assert.equal(body.quota, undefined);
    assert.equal(body.model, `${model}-official`);
    await Promise.all(
      [first, official].map((response) => usageRecordOf(String(response.headers.get('x-request-id')))),
    );
    assert.equal((await balanceOf(user.id)).used, 1, 'both requests were paid');
  });

  it('a failure before any output costs nothing and is recorded', async () => {
    const model = uniqueModel('fails');
    await createChannel(h, { models: [model], endpoint: `${h.mock.url}/mock/fail=500` });
    await setCharge(h, { type: 'times-billing', models: [model], output: 3 });
    const user = await createPayingUser(5);
    const response = await chat(h, user.key, { model });
    assert.equal(response.status, 502);
    const record = await usageRecordOf(String(response.headers.get('x-request-id')));
    assert.equal(record.end_reason, 'upstream_error');
    assert.equal(Number(record.cost), 0);
    assert.deepEqual(await balanceOf(user.id), { quota: 5, used: 0 });
    const hold = await db()('quota_hold').where('request_id', record.request_id).first();
    assert.equal(hold.state, 'released');
  });

  it('a stream cancelled by the client is billed for what was produced only', async () => {
    const model = uniqueModel('cancelled');
    await createChannel(h, { models: [model], endpoint: `${h.mock.url}/mock/chunks=200&delay=40` });
    await setCharge(h, { type: 'token-billing', models: [model], input: 0, output: 1000 });
    const user = await createPayingUser(1_000_000);
    const controller = new AbortController();
    const response = await chat(h, user.key, { model, stream: true, max_tokens: 500 }, controller.signal);
    const requestId = String(response.headers.get('x-request-id'));
    await readUntil(response.body!.getReader(), (text) => text.includes('"content":"w3 "'));
    controller.abort();
    const record = await usageRecordOf(requestId);
    assert.equal(record.end_reason, 'client_cancel');
    assert.ok(
      record.completion_tokens >= 4 && record.completion_tokens < 200,
      String(record.completion_tokens),
    );
    assert.equal(Number(record.cost), record.completion_tokens, 'output price 1000 per 1k = 1 point a token');
    assert.deepEqual(await balanceOf(user.id), {
      quota: 1_000_000 - record.completion_tokens,
      used: record.completion_tokens,
    });
  });

  it('settles a request exactly once, however often settlement runs', async () => {
    const model = uniqueModel('idempotent');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'times-billing', models: [model], output: 1 });
    const user = await createPayingUser(10);
    const response = await chat(h, user.key, { model });
    const requestId = String(response.headers.get('x-request-id'));
    const record = await usageRecordOf(requestId);
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        settle(db(), { requestId, cost: toMicro('7'), billable: true, record: null }),
      ),
    );
    assert.ok(again.every((result) => result.outcome === 'already'));
    assert.deepEqual(await balanceOf(user.id), { quota: 9, used: 1 });
    assert.equal(Number(record.cost), 1);
  });

  it('lists usage records: users see their own, admins filter everyone', async () => {
    const model = uniqueModel('records');
    await createChannel(h, { models: [model] });
    await setCharge(h, { type: 'non-billing', models: [model] });
    const user = await createPayingUser(0);
    const response = await chat(h, user.key, { model });
    await usageRecordOf(String(response.headers.get('x-request-id')));
    const adminView = await fetch(`${h.url}/admin/record/view?model=${model}`, {
      headers: { authorization: h.rootToken },
    });
    const admin = (await adminView.json()) as {
      status: boolean;
      data: { total: number; data: { user_id: number; source: string }[] };
    };
    assert.equal(admin.data.total, 1);
    assert.equal(admin.data.data[0].user_id, user.id);
    assert.equal(admin.data.data[0].source, 'free');
    const own = await fetch(`${h.url}/record/view`, { headers: { authorization: h.rootToken } });
    const mine = (await own.json()) as { data: { data: { user_id: number }[] } };
    assert.ok(
      mine.data.data.every((row) => row.user_id === 1),
      'root sees only its own rows',
    );
    const charges = (await (await fetch(`${h.url}/v1/charge`)).json()) as { models: string[] }[];
    assert.ok(charges.some((rule) => rule.models.includes(model)));
  });
});
