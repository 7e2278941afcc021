// Pays for one finished relay request: its usage, cost and end reason become one ledger
// settlement (hold settled or released, usage row, rollup). Written inline after the
// client got its last byte; if MySQL is unavailable it is queued and retried.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { limitSubject, recordRelayTokens } from '../../shared/limits/relay-admission.js';
import type { RedisKeys } from '../../shared/redis-keys.js';
import type { Logger } from 'pino';
import type { EndReason, SettleInput } from '../../shared/billing/ledger.js';
import type { SettlementBatcher } from '../../shared/billing/settle.js';
import { costOf } from '../../shared/billing/pricing.js';
import type { BillingJobData, ChatJobData } from '../../shared/queues.js';
import type { Usage } from '../../shared/wire/chat.js';

export interface RelayOutcome {
  endReason: EndReason;
  usage: Usage;
  /** Output reached the client (or the whole answer was produced): the request is paid. */
  billable: boolean;
  channelId: number | null;
  upstreamModel: string | null;
  ttftMs: number | null;
}

export function relayCost(data: ChatJobData, usage: Usage): number {
  const rule = data.billing.rule;
  return rule ? costOf(rule, usage.prompt_tokens, usage.completion_tokens) : 0;
}

export function settlementFor(data: ChatJobData, outcome: RelayOutcome): SettleInput {
  const cost = outcome.billable ? relayCost(data, outcome.usage) : 0;
  return {
    requestId: data.requestId,
    cost,
    billable: outcome.billable,
    record: {
      requestId: data.requestId,
      userId: data.caller.userId,
      apiKeyId: data.caller.apiKeyId,
      model: data.model,
      upstreamModel: outcome.upstreamModel,
      channelId: outcome.channelId,
      promptTokens: outcome.usage.prompt_tokens,
      completionTokens: outcome.billable ? outcome.usage.completion_tokens : 0,
      source: data.billing.source,
      endReason: outcome.endReason,
      latencyMs: Math.max(Date.now() - data.enqueuedAt, 0),
      ttftMs: outcome.ttftMs,
      startedAt: data.enqueuedAt,
    },
  };
}

export interface SettleDeps {
  knex: Knex;
  /** Writes settlements a batch per transaction (one commit for many requests). */
  settlements: SettlementBatcher;
  billingQueue: Queue<BillingJobData>;
  redis: Redis;
  keys: RedisKeys;
}

export function settleJobOptions(requestId: string) {
  return {
    jobId: `settle:${requestId}`,
    attempts: 12,
    backoff: { type: 'exponential' as const, delay: 1000 },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  };
}

export async function settleRelay(
  deps: SettleDeps,
  data: ChatJobData,
  input: SettleInput,
  log: Logger,
): Promise<void> {
  const tokens = (input.record?.promptTokens ?? 0) + (input.record?.completionTokens ?? 0);
  // Tokens-per-minute windows count every finished request, whoever paid for it.
  if (tokens > 0) {
    recordRelayTokens(deps.redis, deps.keys, limitSubject(data.caller), tokens, data.requestId).catch(
      (error) => log.warn({ err: error }, 'recording token usage failed'),
    );
  }
  try {
    await deps.settlements.submit(input);
  } catch (error) {
    log.warn({ err: error }, 'settlement failed inline; queued for retry');
    await deps.billingQueue.add(
      `settle ${input.record?.model ?? ''}`.trim(),
      input,
      settleJobOptions(input.requestId),
    );
  }
}
