// The billing queue: settlements that could not be written inline, retried with backoff.
// The ledger is idempotent by request id, so a retry never charges twice.
import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import { fromSettleMessage } from '../../shared/billing/ledger.js';
import { settle } from '../../shared/billing/settle.js';
import type { BillingJobData } from '../../shared/queues.js';

export function createBillingHandler(knex: Knex) {
  return async function handleBilling(job: Job<BillingJobData>) {
    const result = await settle(knex, fromSettleMessage(job.data));
    return { outcome: result.outcome, charged: String(result.charged) };
  };
}
