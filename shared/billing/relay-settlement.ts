// What one relay request owes and how it ended, built in one place (the usage-record
// builder), and its commit: the ledger in MySQL, or, while MySQL is unavailable, a durable
// job on the billing queue that retries until it lands. Used by the api (which commits the
// settlement before the client sees the end) and by workers (when no api is listening).
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { limitSubject, recordRelayTokens } from '../limits/relay-admission.js';
import type { BillingJobData, ChatJobData } from '../queues.js';
import type { RedisKeys } from '../redis-keys.js';
import type { Usage } from '../wire/chat.js';
import { type EndReason, type SettleInput, toSettleMessage } from './ledger.js';
import type { Micros } from './money.js';
import { costOf } from './pricing.js';
import type { SettlementBatcher } from './settle.js';

export interface RelayOutcome {
  endReason: EndReason;
  usage: Usage;
  /** Output reached the client (or the whole answer was produced): the request is paid. */
  billable: boolean;
  channelId: number | null;
  upstreamModel: string | null;
  ttftMs: number | null;
}

export function relayCost(data: Pick<ChatJobData, 'billing'>, usage: Usage): Micros {
  const rule = data.billing.rule;
  return rule ? costOf(rule, usage.prompt_tokens, usage.completion_tokens) : 0n;
}

export function settlementFor(data: ChatJobData, outcome: RelayOutcome): SettleInput {
  const cost = outcome.billable ? relayCost(data, outcome.usage) : 0n;
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

/** Where settlements go: the batched ledger, else the billing queue. */
export interface SettlementSink {
  settlements: SettlementBatcher;
  billingQueue: Queue<BillingJobData>;
  redis: Redis;
  keys: RedisKeys;
}

const RETRY_CAP_MS = 30_000;

/** Settlement retries back off exponentially up to 30 s and go on for days: money is never dropped. */
export function settleRetryDelay(attemptsMade: number): number {
  return Math.min(1000 * 2 ** Math.max(attemptsMade - 1, 0), RETRY_CAP_MS);
}

/** The billing job of a request (BullMQ refuses ':' in custom ids: the old `settle:` ids never queued). */
export function settleJobId(requestId: string): string {
  return `settle-${requestId}`;
}

export function settleJobOptions(requestId: string, delayMs = 0) {
  return {
    jobId: settleJobId(requestId),
    attempts: 20_000,
    backoff: { type: 'custom' as const },
    delay: delayMs,
    removeOnComplete: { count: 1000 },
    removeOnFail: false,
  };
}

/** Puts a settlement on the billing queue (durable in Redis); a job with its id already there wins. */
export async function queueSettlement(sink: SettlementSink, input: SettleInput, delayMs = 0): Promise<void> {
  await sink.billingQueue.add(
    `settle ${input.record?.model ?? ''}`.trim(),
    toSettleMessage(input),
    settleJobOptions(input.requestId, delayMs),
  );
}

export type CommitResult = 'committed' | 'queued';

/**
 * Commits a settlement: in MySQL when it answers, else durably queued. Throws only when
 * neither MySQL nor Redis took it (then the caller must not present the answer as complete).
 */
export async function commitSettlement(
  sink: SettlementSink,
  caller: ChatJobData['caller'],
  input: SettleInput,
  log: Logger,
): Promise<CommitResult> {
  const tokens = (input.record?.promptTokens ?? 0) + (input.record?.completionTokens ?? 0);
  // Tokens-per-minute windows count every finished request, whoever paid for it.
  if (tokens > 0) {
    recordRelayTokens(sink.redis, sink.keys, limitSubject(caller), tokens, input.requestId).catch((error) =>
      log.warn({ err: error }, 'recording token usage failed'),
    );
  }
  try {
    await sink.settlements.submit(input);
    return 'committed';
  } catch (error) {
    log.warn({ err: error }, 'settlement failed inline; queued for retry');
    await queueSettlement(sink, input);
    return 'queued';
  }
}
