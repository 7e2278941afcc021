// The maintenance queue's repeatable tasks: release holds whose request died (sweeper) and
// prune usage records past the retention setting.
import type { Job, Queue } from 'bullmq';
import type { Knex } from 'knex';
import { settleJobId } from '../../shared/billing/relay-settlement.js';
import { releaseStaleHolds } from '../../shared/billing/settle.js';
import type { Config } from '../../shared/config.js';
import { logger } from '../../shared/log.js';
import type { BillingJobData, ChatJobData, MaintenanceJobData } from '../../shared/queues.js';
import type { SettingsStore } from '../../shared/settings/store.js';

export interface MaintenanceDeps {
  knex: Knex;
  config: Config;
  settings: SettingsStore;
  chatQueue: Queue<ChatJobData>;
  billingQueue: Queue<BillingJobData>;
}

const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
const PRUNE_BATCH = 5000;

/** A hold is stale once its request could no longer be running: twice the longest call plus slack. */
export function staleHoldAgeMs(config: Config): number {
  return (2 * config.MAX_TIMEOUT + config.RELAY_IDLE_TIMEOUT + 60) * 1000;
}

export function createMaintenanceHandler(deps: MaintenanceDeps) {
  // A queued settlement, in any state but done, owns the hold: even a failed one waits for
  // an operator's retry in Bull Board rather than being released unpaid.
  const isRunning = async (requestId: string) => {
    const [relay, settlement] = await Promise.all([
      deps.chatQueue.getJobState(requestId),
      deps.billingQueue.getJobState(settleJobId(requestId)),
    ]);
    return LIVE_STATES.has(relay) || (settlement !== 'unknown' && settlement !== 'completed');
  };
  return async function handleMaintenance(job: Job<MaintenanceJobData>) {
    if (job.data.task === 'sweep-holds') {
      const released = await releaseStaleHolds(deps.knex, staleHoldAgeMs(deps.config), isRunning);
      if (released > 0) logger().warn({ released }, 'released holds of requests that died');
      return { released };
    }
    const days = deps.settings.get().billing.record_retention_days;
    if (days === 0) return { pruned: 0 };
    const cutoff = new Date(Date.now() - days * 86_400_000);
    let pruned = 0;
    for (let batch = PRUNE_BATCH; batch === PRUNE_BATCH; ) {
      batch = await deps.knex('usage_record').where('created_at', '<', cutoff).limit(PRUNE_BATCH).delete();
      pruned += batch;
    }
    return { pruned };
  };
}
