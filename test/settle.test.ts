// Batched settlement against the real MySQL: one transaction for many requests keeps the
// exactly-once and never-below-zero rules of a single settlement.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { takeHolds } from '../shared/billing/hold-batch.js';
import type { UsageRecordInput } from '../shared/billing/ledger.js';
import { toMicro } from '../shared/billing/money.js';
import { SettlementBatcher, settle, settleMany } from '../shared/billing/settle.js';
import { db } from '../shared/db.js';
import { harness } from './support/harness.js';
import { balanceOf, createPayingUser } from './support/users.js';

function record(requestId: string, userId: number, model: string): UsageRecordInput {
  return {
    requestId,
    userId,
    apiKeyId: null,
    model,
    upstreamModel: model,
    channelId: null,
    promptTokens: 10,
    completionTokens: 5,
    source: 'balance',
    endReason: 'stop',
    latencyMs: 1,
    ttftMs: 1,
    startedAt: Date.now(),
  };
}

describe('billing: batched settlement', function () {
  this.timeout(20_000);

  before(async () => {
    await harness();
  });

  it('settles many holds of one user in one commit, in order, never below zero', async () => {
    const user = await createPayingUser(10);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids)
      assert.ok((await takeHolds(db(), [{ requestId: id, userId: user.id, amount: toMicro(3) }]))[0]);
    assert.deepEqual(await balanceOf(user.id), { quota: 1, used: 0 });
    const model = `batch-${randomUUID().slice(0, 8)}`;
    const results = await settleMany(db(), [
      { requestId: ids[0], cost: toMicro('2'), billable: true, record: record(ids[0], user.id, model) },
      { requestId: ids[1], cost: toMicro('3.5'), billable: true, record: record(ids[1], user.id, model) },
      { requestId: ids[2], cost: toMicro('9'), billable: true, record: record(ids[2], user.id, model) },
      { requestId: ids[0], cost: toMicro('2'), billable: true, record: record(ids[0], user.id, model) },
    ]);
    // 10 in all: 2 + 3.5 leave 4.5, so the third may take at most its hold 3 + the rest 1.5.
    assert.deepEqual(
      results.map((r) => [r.outcome, r.charged]),
      [
        ['settled', toMicro('2')],
        ['settled', toMicro('3.5')],
        ['settled', toMicro('4.5')],
        ['already', 0n],
      ],
    );
    assert.deepEqual(await balanceOf(user.id), { quota: 0, used: 10 });
    const [{ rows }] = await db()('usage_record').where('model', model).count({ rows: '*' });
    assert.equal(Number(rows), 3);
    const daily = await db()('usage_daily').where({ user_id: user.id, model }).first();
    assert.deepEqual([daily.requests, Number(daily.cost)], [3, 10]);
    const again = await settle(db(), { requestId: ids[1], cost: toMicro('1'), billable: true, record: null });
    assert.equal(again.outcome, 'already');
    assert.deepEqual(await balanceOf(user.id), { quota: 0, used: 10 });
  });

  it('releases unbilled holds and records free requests once through the batcher', async () => {
    const user = await createPayingUser(5);
    const held = randomUUID();
    const free = randomUUID();
    assert.ok((await takeHolds(db(), [{ requestId: held, userId: user.id, amount: toMicro(5) }]))[0]);
    const batcher = new SettlementBatcher(db());
    const model = `batch-${randomUUID().slice(0, 8)}`;
    const [released, recorded, duplicate] = await Promise.all([
      batcher.submit({
        requestId: held,
        cost: toMicro('4'),
        billable: false,
        record: record(held, user.id, model),
      }),
      batcher.submit({
        requestId: free,
        cost: 0n,
        billable: true,
        record: { ...record(free, user.id, model), source: 'free' },
      }),
      batcher.submit({
        requestId: free,
        cost: 0n,
        billable: true,
        record: { ...record(free, user.id, model), source: 'free' },
      }),
    ]);
    await batcher.drain();
    assert.deepEqual(
      [released.outcome, recorded.outcome, duplicate.outcome],
      ['released', 'recorded', 'already'],
    );
    assert.deepEqual(await balanceOf(user.id), { quota: 5, used: 0 });
    const [{ rows }] = await db()('usage_record').where('model', model).count({ rows: '*' });
    assert.equal(Number(rows), 2);
    const later = await batcher.submit({
      requestId: free,
      cost: 0n,
      billable: true,
      record: record(free, user.id, model),
    });
    assert.equal(later.outcome, 'already', 'a free request settled again later writes nothing');
  });
});

describe('billing: batched holds', function () {
  this.timeout(20_000);

  before(async () => {
    await harness();
  });

  it('grants holds in order while the balance covers them, in one commit', async () => {
    const user = await createPayingUser(10);
    const other = await createPayingUser(1);
    const requests = [4, 4, 4, 2, 1].map((points) => ({
      requestId: randomUUID(),
      userId: user.id,
      amount: toMicro(points),
    }));
    const granted = await takeHolds(db(), [
      ...requests,
      { requestId: randomUUID(), userId: other.id, amount: toMicro(2) },
    ]);
    assert.deepEqual(
      granted.map((grant) => grant !== null),
      [true, true, false, true, false, false],
    );
    assert.deepEqual(await balanceOf(user.id), { quota: 0, used: 0 });
    assert.deepEqual(await balanceOf(other.id), { quota: 1, used: 0 });
    const held = await db()('quota_hold')
      .whereIn(
        'request_id',
        requests.map((r) => r.requestId),
      )
      .select('amount');
    assert.deepEqual(held.map((row) => Number(row.amount)).sort(), [2, 4, 4]);
  });
});
