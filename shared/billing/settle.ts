// Settlement of relay requests, one or many per transaction (one commit), exactly once: a hold moves from `held` once, under row locks taken in a fixed order;
// balances are charged in submission order and never go below zero; one usage row and one
// rollup increment per request. Batches run one at a time per process, so they grow with load.
import type { Knex } from 'knex';
import { Batcher } from './batcher.js';
import type { SettleInput, SettleOutcome, UsageRecordInput } from './ledger.js';
import { LEDGER_TRANSACTION, releaseOf } from './ledger.js';
import { formatMicro, type Micros, maxMicro, minMicro, toMicro } from './money.js';

export interface SettleResult {
  outcome: SettleOutcome;
  charged: Micros;
}

interface HoldRow {
  request_id: string;
  user_id: number;
  source: string;
  amount: string;
  plan_item: string | null;
  plan_period: string | null;
  state: string;
  charged: string | null;
  created_at: Date;
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const FAILED_REASONS = new Set(['upstream_error', 'timeout', 'worker_lost']);

/** The whole batch in one transaction; results are in the order of `inputs`. */
export async function settleMany(knex: Knex, inputs: SettleInput[]): Promise<SettleResult[]> {
  return knex.transaction(async (trx) => {
    const ids = unique(inputs.map((input) => input.requestId)).sort();
    const holds: HoldRow[] = await trx('quota_hold')
      .whereIn('request_id', ids)
      .orderBy('request_id')
      .forUpdate();
    const holdById = new Map(holds.map((hold) => [hold.request_id, hold]));
    const payers = unique(
      holds.filter((h) => h.state === 'held' && h.source === 'balance').map((h) => h.user_id),
    );
    const balances = new Map<number, Micros>();
    if (payers.length > 0) {
      const rows = await trx('quota')
        .whereIn('user_id', payers)
        .orderBy('user_id')
        .forUpdate()
        .select('user_id', 'quota');
      for (const row of rows) balances.set(Number(row.user_id), toMicro(row.quota));
    }
    const holdless = inputs
      .filter((input) => !holdById.has(input.requestId) && input.record)
      .map((i) => i.requestId);
    const recorded = new Set<string>(
      holdless.length > 0
        ? (await trx('usage_record').whereIn('request_id', holdless).select('request_id')).map(
            (r) => r.request_id,
          )
        : [],
    );

    const results: SettleResult[] = [];
    const seen = new Set<string>();
    const deltas = new Map<number, { back: Micros; used: Micros }>();
    const planBacks = new Map<string, { hold: HoldRow; count: number }>();
    const ended: (HoldRow & { newState: string; newCharged: Micros })[] = [];
    const records: { record: UsageRecordInput; cost: Micros }[] = [];
    for (const input of inputs) {
      const hold = holdById.get(input.requestId);
      if (seen.has(input.requestId) || (hold && hold.state !== 'held')) {
        results.push({ outcome: 'already', charged: toMicro(hold?.charged ?? '0') });
        continue;
      }
      seen.add(input.requestId);
      if (!hold) {
        const fresh = input.record && !recorded.has(input.requestId);
        if (fresh && input.record) records.push({ record: input.record, cost: 0n });
        results.push({ outcome: input.record && !fresh ? 'already' : 'recorded', charged: 0n });
        continue;
      }
      let charged = 0n;
      if (hold.source === 'balance') {
        const amount = toMicro(hold.amount);
        const balance = balances.get(hold.user_id) ?? 0n;
        charged = input.billable ? minMicro(maxMicro(input.cost, 0n), amount + balance) : 0n;
        balances.set(hold.user_id, balance + amount - charged);
        const delta = deltas.get(hold.user_id) ?? { back: 0n, used: 0n };
        delta.back += amount - charged;
        delta.used += charged;
        deltas.set(hold.user_id, delta);
      }
      if (hold.source === 'plan' && !input.billable) {
        const key = `${hold.user_id}|${hold.plan_item}|${hold.plan_period}`;
        const entry = planBacks.get(key) ?? { hold, count: 0 };
        entry.count += 1;
        planBacks.set(key, entry);
      }
      ended.push({ ...hold, newState: input.billable ? 'settled' : 'released', newCharged: charged });
      if (input.record) records.push({ record: input.record, cost: charged });
      results.push({ outcome: input.billable ? 'settled' : 'released', charged });
    }

    // Every payer's balance in one statement (their rows are locked above, so they exist).
    const payments = [...deltas].sort(([a], [b]) => a - b);
    if (payments.length > 0) {
      await trx.raw(
        `INSERT INTO \`quota\` (\`user_id\`, \`quota\`, \`used\`) VALUES ${payments.map(() => '(?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE \`quota\` = \`quota\` + VALUES(\`quota\`), \`used\` = \`used\` + VALUES(\`used\`), \`updated_at\` = NOW()`,
        payments.flatMap(([userId, delta]) => [userId, formatMicro(delta.back), formatMicro(delta.used)]),
      );
    }
    for (const { hold, count } of [...planBacks.values()]) {
      await trx('plan_usage')
        .where({ user_id: hold.user_id, item_id: hold.plan_item ?? '', period_start: hold.plan_period ?? '' })
        .update({ used: trx.raw('GREATEST(?? - ?, 0)', ['used', count]) });
    }
    await endHolds(trx, ended);
    await insertRecords(trx, records);
    return results;
  }, LEDGER_TRANSACTION);
}

async function endHolds(
  trx: Knex.Transaction,
  ended: (HoldRow & { newState: string; newCharged: Micros })[],
) {
  if (ended.length === 0) return;
  const values = ended.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3))').join(', ');
  const bindings = ended.flatMap((hold) => [
    hold.request_id,
    hold.user_id,
    hold.source,
    hold.amount,
    hold.plan_item,
    hold.plan_period,
    hold.newState,
    formatMicro(hold.newCharged),
    hold.created_at,
  ]);
  await trx.raw(
    `INSERT INTO \`quota_hold\` (\`request_id\`, \`user_id\`, \`source\`, \`amount\`, \`plan_item\`, \`plan_period\`, \`state\`, \`charged\`, \`created_at\`, \`ended_at\`) VALUES ${values} ON DUPLICATE KEY UPDATE \`state\` = VALUES(\`state\`), \`charged\` = VALUES(\`charged\`), \`ended_at\` = VALUES(\`ended_at\`)`,
    bindings,
  );
}

async function insertRecords(trx: Knex.Transaction, records: { record: UsageRecordInput; cost: Micros }[]) {
  if (records.length === 0) return;
  const values = records
    .map(() => '(?, FROM_UNIXTIME(? / 1000), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .join(', ');
  const bindings = records.flatMap(({ record, cost }) => [
    record.requestId,
    record.startedAt,
    record.userId,
    record.apiKeyId,
    record.model,
    record.upstreamModel,
    record.channelId,
    record.promptTokens,
    record.completionTokens,
    formatMicro(cost),
    record.source,
    record.endReason,
    record.latencyMs,
    record.ttftMs,
  ]);
  await trx.raw(
    `INSERT IGNORE INTO \`usage_record\` (\`request_id\`, \`created_at\`, \`user_id\`, \`api_key_id\`, \`model\`, \`upstream_model\`, \`channel_id\`, \`prompt_tokens\`, \`completion_tokens\`, \`cost\`, \`source\`, \`end_reason\`, \`latency_ms\`, \`ttft_ms\`) VALUES ${values}`,
    bindings,
  );
  const rollups = new Map<
    string,
    {
      day: string;
      userId: number;
      model: string;
      requests: number;
      failures: number;
      prompt: number;
      completion: number;
      cost: Micros;
    }
  >();
  for (const { record, cost } of records) {
    const day = utcDay(record.startedAt);
    const key = `${day}|${record.userId}|${record.model}`;
    const entry = rollups.get(key) ?? {
      day,
      userId: record.userId,
      model: record.model,
      requests: 0,
      failures: 0,
      prompt: 0,
      completion: 0,
      cost: 0n,
    };
    entry.requests += 1;
    entry.failures += FAILED_REASONS.has(record.endReason) ? 1 : 0;
    entry.prompt += record.promptTokens;
    entry.completion += record.completionTokens;
    entry.cost += cost;
    rollups.set(key, entry);
  }
  const rows = [...rollups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, row]) => row);
  await trx.raw(
    `INSERT INTO \`usage_daily\` (\`day\`, \`user_id\`, \`model\`, \`requests\`, \`failures\`, \`prompt_tokens\`, \`completion_tokens\`, \`cost\`) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE \`requests\` = \`requests\` + VALUES(\`requests\`), \`failures\` = \`failures\` + VALUES(\`failures\`), \`prompt_tokens\` = \`prompt_tokens\` + VALUES(\`prompt_tokens\`), \`completion_tokens\` = \`completion_tokens\` + VALUES(\`completion_tokens\`), \`cost\` = \`cost\` + VALUES(\`cost\`)`,
    rows.flatMap((row) => [
      row.day,
      row.userId,
      row.model,
      row.requests,
      row.failures,
      row.prompt,
      row.completion,
      formatMicro(row.cost),
    ]),
  );
}

/** Settles or releases one request's hold and writes its usage row; a second call changes nothing. */
export async function settle(knex: Knex, input: SettleInput): Promise<SettleResult> {
  const [result] = await settleMany(knex, [input]);
  return result;
}

/** Holds still `held` after `olderThanMs` whose request is gone: released without a record. */
export async function releaseStaleHolds(
  knex: Knex,
  olderThanMs: number,
  isRunning: (requestId: string) => Promise<boolean>,
  limit = 500,
): Promise<number> {
  const stale: { request_id: string }[] = await knex('quota_hold')
    .where('state', 'held')
    .andWhere('created_at', '<', new Date(Date.now() - olderThanMs))
    .limit(limit)
    .select('request_id');
  let released = 0;
  for (const { request_id: requestId } of stale) {
    if (await isRunning(requestId)) continue;
    const result = await settle(knex, releaseOf(requestId));
    if (result.outcome === 'released') released += 1;
  }
  return released;
}

/** Settlements written a batch per transaction, one batch at a time. */
export class SettlementBatcher extends Batcher<SettleInput, SettleResult> {
  /** `gatherMs` lets settlements that end together share a commit (0 where a client waits for it). */
  constructor(knex: Knex, options: { gatherMs?: number } = {}) {
    super(
      (inputs) => settleMany(knex, inputs),
      (input) => settle(knex, input),
      { gatherMs: options.gatherMs ?? 20 },
    );
  }
}
