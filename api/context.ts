// Everything an api process shares between requests, built once at start and passed to
// createApp explicitly (no container).
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { resolveJwtSecret } from '../shared/auth/secret.js';
import { ChannelSnapshot } from '../shared/channels/snapshot.js';
import { type Config, config } from '../shared/config.js';
import { db } from '../shared/db.js';
import { PubSub } from '../shared/pubsub.js';
import { startReloads } from '../shared/reloads.js';
import { type BillingJobData, type ChatJobData, createQueue } from '../shared/queues.js';
import { createRedis, FAIL_FAST, redisReady } from '../shared/redis.js';
import { type RedisKeys, redisKeys } from '../shared/redis-keys.js';
import { ChargeStore } from '../shared/billing/charges.js';
import { HoldBatcher } from '../shared/billing/hold-batch.js';
import { SettlementBatcher } from '../shared/billing/settle.js';
import { PlanStore } from '../shared/billing/plans.js';
import { SettingsStore } from '../shared/settings/store.js';
import { RelayReceiver } from '../shared/stream-relay.js';
import { IdentityCache } from './auth/identity-cache.js';
import { BalanceEstimates } from './billing/balance-estimates.js';

export interface ApiContext {
  config: Config;
  knex: Knex;
  redis: Redis;
  keys: RedisKeys;
  processId: string;
  jwtSecret: string;
  identities: IdentityCache;
  /** Site settings (setting table), reloaded on every announced change. */
  settings: SettingsStore;
  /** Charge rules (charge table), reloaded on every announced change. */
  charges: ChargeStore;
  /** Settlements committed by the api before a client sees the end, a batch per transaction. */
  settlements: SettlementBatcher;
  /** Where settlements go while MySQL is unavailable (retried by the workers). */
  billingQueue: Queue<BillingJobData>;
  /** Balance holds, a batch per transaction (one commit for many concurrent requests). */
  holds: HoldBatcher;
  /** The balances this process's holds last saw (lets a clearly covered hold overlap the enqueue). */
  balances: BalanceEstimates;
  /** Subscription plans (plan table), reloaded on every announced change. */
  plans: PlanStore;
  snapshot: ChannelSnapshot;
  receiver: RelayReceiver;
  chatQueue: Queue<ChatJobData>;
  /** True once SIGTERM arrived: new relay requests are refused. */
  draining: boolean;
  close(): Promise<void>;
}

export async function createApiContext(): Promise<ApiContext> {
  const c = config();
  const knex = db();
  const keys = redisKeys(c.REDIS_PREFIX);
  const processId = randomUUID();
  // The request path fails fast while Redis is away (503 with Retry-After, not a hang).
  const redis = createRedis('api', FAIL_FAST);
  const subscriber = createRedis('api-subscribe');
  const bullRedis = createRedis('api-bull', FAIL_FAST);
  await Promise.all([redisReady(redis), redisReady(bullRedis)]);
  const pubsub = new PubSub(subscriber);
  const identities = new IdentityCache(knex, c.AUTH_CACHE_TTL * 1000);
  const snapshot = new ChannelSnapshot(knex, { source: redis, key: keys.channelsVersion });
  const settings = new SettingsStore(knex);
  const charges = new ChargeStore(knex);
  const plans = new PlanStore(knex);
  const reloads = await startReloads(
    pubsub,
    keys.invalidateChannel,
    { channels: snapshot, settings, charges, plans },
    (topic, id) => {
      if (topic !== 'auth') return;
      if (id) identities.invalidateUser(Number(id));
      else identities.clear();
    },
  );
  const receiver = new RelayReceiver(pubsub, keys.replyChannel(processId));
  await receiver.start();
  const chatQueue = createQueue('chat', bullRedis);
  const billingQueue = createQueue('billing', bullRedis);
  await Promise.all([chatQueue.waitUntilReady(), billingQueue.waitUntilReady()]);
  const context: ApiContext = {
    config: c,
    knex,
    redis,
    keys,
    processId,
    jwtSecret: await resolveJwtSecret(knex),
    identities,
    settings,
    charges,
    // No gathering delay: the client waits for this commit (batches still form under load).
    settlements: new SettlementBatcher(knex, { gatherMs: 0 }),
    billingQueue,
    holds: new HoldBatcher(knex),
    balances: new BalanceEstimates(),
    plans,
    snapshot,
    receiver,
    chatQueue,
    draining: false,
    async close() {
      reloads.stop();
      await Promise.all([context.holds.drain(), context.settlements.drain()]);
      await Promise.all([chatQueue.close(), billingQueue.close()]);
      await Promise.all([redis.quit(), subscriber.quit(), bullRedis.quit()].map((p) => p.catch(() => 0)));
    },
  };
  return context;
}
