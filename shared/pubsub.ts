// One Redis subscriber connection per process, shared by every pub/sub consumer (relay
// replies, cancels, cache invalidation); messages are routed by channel name.
import type { Redis } from 'ioredis';
import type { InvalidateTopic } from './redis-keys.js';

export type MessageHandler = (message: string) => void;

export class PubSub {
  private readonly handlers = new Map<string, MessageHandler[]>();

  constructor(readonly subscriber: Redis) {
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
  }

  /** Resolves once Redis has confirmed the subscription. */
  async subscribe(channel: string, handler: MessageHandler): Promise<void> {
    const list = this.handlers.get(channel);
    if (list) {
      list.push(handler);
      return;
    }
    this.handlers.set(channel, [handler]);
    await this.subscriber.subscribe(channel);
  }
}

/** Announces a channel change: bumps the version counter, then tells every process. */
export async function announceChannelsChanged(
  redis: Redis,
  versionKey: string,
  channel: string,
): Promise<number> {
  const version = await redis.incr(versionKey);
  await announceInvalidate(redis, channel, 'channels');
  return version;
}

/** Announces that cached data of a topic changed; every process reloads it. */
export async function announceInvalidate(redis: Redis, channel: string, topic: InvalidateTopic, id?: string) {
  await redis.publish(channel, JSON.stringify({ topic, id }));
}

export function parseInvalidate(message: string): { topic: InvalidateTopic; id?: string } | null {
  try {
    return JSON.parse(message) as { topic: InvalidateTopic; id?: string };
  } catch {
    return null;
  }
}
