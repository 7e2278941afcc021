// What every process role shares for cached data: stores that reload from MySQL, routed from
// the announcements on the invalidate channel (a change made anywhere applies everywhere
// without a restart), refreshed periodically as a safety net, loaded once at start.
import { logger } from './log.js';
import { type PubSub, parseInvalidate } from './pubsub.js';
import type { InvalidateTopic } from './redis-keys.js';

export interface Reloadable {
  reload(): Promise<unknown>;
}

/** Every store is reloaded this often even without an announcement. */
export const REFRESH_MS = 60_000;

export interface Reloads {
  stop(): void;
}

/**
 * Loads each store, then reloads it on its topic's announcements and every REFRESH_MS.
 * `onAnnouncement` hears every announcement too (identity caches drop users on 'auth').
 */
export async function startReloads(
  pubsub: PubSub,
  channel: string,
  stores: Partial<Record<InvalidateTopic, Reloadable>>,
  onAnnouncement?: (topic: InvalidateTopic, id: string | undefined) => void,
): Promise<Reloads> {
  const entries = Object.entries(stores) as [InvalidateTopic, Reloadable][];
  await Promise.all(entries.map(([, store]) => store.reload()));
  const reload = (topic: InvalidateTopic, store: Reloadable) =>
    store.reload().catch((error) => logger().error({ err: error, topic }, 'reload failed'));
  await pubsub.subscribe(channel, (message) => {
    const change = parseInvalidate(message);
    if (!change) return;
    const store = stores[change.topic];
    if (store) reload(change.topic, store);
    onAnnouncement?.(change.topic, change.id);
  });
  const timer = setInterval(() => {
    for (const [topic, store] of entries) reload(topic, store);
  }, REFRESH_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
