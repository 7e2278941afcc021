// Queue names and job payloads, declared once and never renamed (renaming strands jobs in
// Redis). Workers map every QueueName to a handler; a missing handler is a compile error.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { config } from './config.js';
import { redisKeys } from './redis-keys.js';
import type { FundingSource, SettleMessage } from './billing/ledger.js';
import type { ChargeRule } from './billing/pricing.js';
import type { ChatRequestBody } from './wire/chat.js';

export const QUEUE_NAMES = ['chat', 'billing', 'maintenance'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Who is asking, resolved by the api; workers never re-authenticate. */
export interface Caller {
  userId: number;
  username: string;
  group: string;
  isAdmin: boolean;
  apiKeyId: number | null;
}

export interface ChatJobData {
  requestId: string;
  /** Pub/sub channel of the api process holding the client connection. */
  replyTo: string;
  caller: Caller;
  /** The model the client asked for (before channel mapping). */
  model: string;
  /** Whether the client wants SSE; the upstream is always streamed. */
  stream: boolean;
  /** The client's body, validated; forwarded to the upstream as-is apart from model/stream. */
  body: ChatRequestBody;
  enqueuedAt: number;
  /** The channel change counter the api routed with; older worker snapshots reload first. */
  channelsVersion: number;
  billing: JobBilling;
  /** Where to store the answer for the response cache (null: the model is not cached). */
  cache: { key: string; expire: number } | null;
  /** The api's prompt count: exact, or an upper bound for huge prompts (workers count those). */
  promptTokens?: { tokens: number; exact: boolean };
}

/** How a relay request is paid, decided by the api when it took the hold. */
export interface JobBilling {
  source: FundingSource;
  /** The price in force when the hold was taken (null: unpriced model used by an admin). */
  rule: Pick<ChargeRule, 'type' | 'input' | 'output'> | null;
  /** `-official` models answer without Chat Nio's `quota` field. */
  showQuota: boolean;
}

/** A settlement that could not be written inline; retried from the billing queue. */
export type BillingJobData = SettleMessage;

export type MaintenanceJobData = { task: 'sweep-holds' } | { task: 'prune-records' };

export interface JobDataByQueue {
  chat: ChatJobData;
  billing: BillingJobData;
  maintenance: MaintenanceJobData;
}

export function queueOptions(connection: Redis) {
  return { connection, prefix: redisKeys(config().REDIS_PREFIX).bullPrefix };
}

export function relayJobOptions(jobId: string): JobsOptions {
  const c = config();
  return {
    jobId,
    attempts: 1,
    removeOnComplete: { count: c.JOB_KEEP_COMPLETED },
    removeOnFail: { count: c.JOB_KEEP_FAILED },
  };
}

export function createQueue<N extends QueueName>(name: N, connection: Redis): Queue<JobDataByQueue[N]> {
  return new Queue<JobDataByQueue[N]>(name, queueOptions(connection));
}

/** A readable job name for Bull Board: "chat gpt-4o stream". */
export function chatJobName(data: Pick<ChatJobData, 'model' | 'stream'>): string {
  return `chat ${data.model}${data.stream ? ' stream' : ''}`;
}
