// A worker pool: one BullMQ Worker per queue plus the shared machinery (channel snapshot,
// cancel subscription, heartbeats, relay publisher). Used by workers/main.ts and ops/start.ts.
import { type Queue, Worker, type WorkerOptions } from 'bullmq';
import { ChannelSnapshot } from '../shared/channels/snapshot.js';
import { config } from '../shared/config.js';
import { db } from '../shared/db.js';
import { errors } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { PubSub } from '../shared/pubsub.js';
import { startReloads } from '../shared/reloads.js';
import { closeAgents } from '../shared/providers/http.js';
import {
  createQueue,
  type JobDataByQueue,
  type MaintenanceJobData,
  QUEUE_NAMES,
  type QueueName,
  queueOptions,
} from '../shared/queues.js';
import { settleRetryDelay } from '../shared/billing/relay-settlement.js';
import { SettlementBatcher } from '../shared/billing/settle.js';
import { SettingsStore } from '../shared/settings/store.js';
import { createRedis } from '../shared/redis.js';
import { redisKeys } from '../shared/redis-keys.js';
import { RelayPublisher } from '../shared/stream-relay.js';
import { createJobHandlers } from './job-handlers.js';
import { CancelRegistry } from './relay/cancels.js';
import { HeartbeatTicker } from './relay/heartbeat.js';

export interface WorkerPool {
  workers: Worker[];
  snapshot: ChannelSnapshot;
  cancels: CancelRegistry;
  /** Stops intake, lets running jobs finish until the deadline, then aborts the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function startWorkerPool(): Promise<WorkerPool> {
  const c = config();
  const keys = redisKeys(c.REDIS_PREFIX);
  const log = logger().child({ role: 'worker' });
  const publisherRedis = createRedis('worker-publish');
  const subscriberRedis = createRedis('worker-subscribe');
  const bullRedis = createRedis('worker-bull');
  const pubsub = new PubSub(subscriberRedis);
  const knex = db();
  const snapshot = new ChannelSnapshot(knex, { source: publisherRedis, key: keys.channelsVersion });
  const settings = new SettingsStore(knex);
  const cancels = new CancelRegistry();
  await pubsub.subscribe(keys.cancelChannel, (requestId) => cancels.cancel(requestId));
  const reloads = await startReloads(pubsub, keys.invalidateChannel, { channels: snapshot, settings });
  const publisher = new RelayPublisher(publisherRedis);
  const heartbeats = new HeartbeatTicker(c.HEARTBEAT_INTERVAL * 1000);
  heartbeats.start();
  const settlements = new SettlementBatcher(knex);
  const chatQueue = createQueue('chat', bullRedis);
  const billingQueue = createQueue('billing', bullRedis);
  const maintenanceQueue = createQueue('maintenance', bullRedis);
  const terminalWaitMs = c.RELAY_IDLE_TIMEOUT * 1000;
  const handlers = createJobHandlers({
    config: c,
    knex,
    settings,
    chatQueue,
    billingQueue,
    settlements,
    redis: publisherRedis,
    keys,
    snapshot,
    cancels,
    heartbeats,
    publish: (replyTo, requestId, event) => publisher.send(replyTo, requestId, event),
    // While Redis is away the answer is unknown (null): the api settles on its own then.
    publishTerminal: (replyTo, requestId, event) =>
      Promise.race([
        publisher.sendConfirmed(replyTo, requestId, event),
        new Promise<null>((resolve) => setTimeout(resolve, terminalWaitMs, null).unref()),
      ]),
    endRelay: (requestId) => publisher.forget(requestId),
  });
  const start = <N extends QueueName>(name: N, options: Partial<WorkerOptions>) =>
    new Worker<JobDataByQueue[N]>(name, handlers[name], {
      ...queueOptions(bullRedis),
      lockDuration: c.JOB_LOCK_DURATION * 1000,
      stalledInterval: c.STALLED_CHECK_INTERVAL * 1000,
      ...options,
    }) as Worker;
  const workers: Worker[] = [
    // A relay job runs once: a job whose worker died is failed, never run again.
    start('chat', { concurrency: c.WORKER_CONCURRENCY, maxStalledCount: 0 }),
    // Settlements are idempotent: retry them (backing off up to 30 s), also after a crash.
    start('billing', {
      concurrency: 20,
      maxStalledCount: 1000,
      settings: { backoffStrategy: (attemptsMade: number) => settleRetryDelay(attemptsMade) },
    }),
    start('maintenance', { concurrency: 1, maxStalledCount: 1 }),
  ];
  await scheduleMaintenance(maintenanceQueue);
  for (const worker of workers) {
    worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  log.info({ queues: QUEUE_NAMES, concurrency: c.WORKER_CONCURRENCY }, 'worker pool started');

  async function close(graceMs = c.SHUTDOWN_GRACE * 1000): Promise<void> {
    reloads.stop();
    const deadline = setTimeout(() => {
      log.warn({ running: cancels.size }, 'shutdown deadline reached: aborting running streams');
      cancels.cancelAll(errors.overloaded());
    }, graceMs);
    await Promise.all(workers.map((worker) => worker.close()));
    await settlements.drain();
    await Promise.all([chatQueue.close(), billingQueue.close(), maintenanceQueue.close()]);
    clearTimeout(deadline);
    heartbeats.stop();
    await publisher.flush();
    await closeAgents();
    await Promise.all(
      [publisherRedis.quit(), subscriberRedis.quit(), bullRedis.quit()].map((p) => p.catch(() => 0)),
    );
  }

  return { workers, snapshot, cancels, close };
}

const SWEEP_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 6 * 3600_000;

/** Repeatable maintenance jobs (idempotent: every worker process upserts the same schedulers). */
async function scheduleMaintenance(queue: Queue<MaintenanceJobData>): Promise<void> {
  await queue.upsertJobScheduler(
    'sweep-holds',
    { every: SWEEP_EVERY_MS },
    { name: 'sweep stale holds', data: { task: 'sweep-holds' } },
  );
  await queue.upsertJobScheduler(
    'prune-records',
    { every: PRUNE_EVERY_MS },
    { name: 'prune old usage records', data: { task: 'prune-records' } },
  );
}
