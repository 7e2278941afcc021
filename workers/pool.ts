// A worker pool: one BullMQ Worker per queue plus the shared machinery (channel snapshot,
// cancel subscription, heartbeats, relay publisher). Used by workers/main.ts and ops/start.ts.
import { Worker } from 'bullmq';
import { ChannelSnapshot } from '../shared/channels/snapshot.js';
import { config } from '../shared/config.js';
import { db } from '../shared/db.js';
import { errors } from '../shared/errors.js';
import { logger } from '../shared/log.js';
import { PubSub, parseInvalidate } from '../shared/pubsub.js';
import { closeAgents } from '../shared/providers/http.js';
import { QUEUE_NAMES, queueOptions } from '../shared/queues.js';
import { createRedis } from '../shared/redis.js';
import { redisKeys } from '../shared/redis-keys.js';
import { RelayPublisher } from '../shared/stream-relay.js';
import { createJobHandlers } from './job-handlers.js';
import { CancelRegistry } from './relay/cancels.js';
import { HeartbeatTicker } from './relay/heartbeat.js';

const SNAPSHOT_REFRESH_MS = 60_000;

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
  const snapshot = new ChannelSnapshot(db(), { source: publisherRedis, key: keys.channelsVersion });
  await snapshot.reload();
  const cancels = new CancelRegistry();
  await pubsub.subscribe(keys.cancelChannel, (requestId) => cancels.cancel(requestId));
  await pubsub.subscribe(keys.invalidateChannel, (message) => {
    if (parseInvalidate(message)?.topic === 'channels') {
      snapshot.reload().catch((error) => log.error({ err: error }, 'channel reload failed'));
    }
  });
  const refresh = setInterval(() => snapshot.reload().catch(() => undefined), SNAPSHOT_REFRESH_MS);
  refresh.unref();
  const publisher = new RelayPublisher(publisherRedis);
  const heartbeats = new HeartbeatTicker(c.HEARTBEAT_INTERVAL * 1000);
  heartbeats.start();
  const handlers = createJobHandlers({
    config: c,
    snapshot,
    cancels,
    heartbeats,
    publish: (replyTo, requestId, event) => publisher.send(replyTo, requestId, event),
  });
  const workers = QUEUE_NAMES.map(
    (name) =>
      new Worker(name, handlers[name], {
        ...queueOptions(bullRedis),
        concurrency: c.WORKER_CONCURRENCY,
        // A relay job runs once: a job whose worker died is failed, never run again.
        maxStalledCount: 0,
        lockDuration: c.JOB_LOCK_DURATION * 1000,
        stalledInterval: c.STALLED_CHECK_INTERVAL * 1000,
      }),
  );
  for (const worker of workers) {
    worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  log.info({ queues: QUEUE_NAMES, concurrency: c.WORKER_CONCURRENCY }, 'worker pool started');

  async function close(graceMs = c.SHUTDOWN_GRACE * 1000): Promise<void> {
    clearInterval(refresh);
    const deadline = setTimeout(() => {
      log.warn({ running: cancels.size }, 'shutdown deadline reached: aborting running streams');
      cancels.cancelAll(errors.overloaded());
    }, graceMs);
    await Promise.all(workers.map((worker) => worker.close()));
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
