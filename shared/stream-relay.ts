// The relay protocol between workers and the api process that holds a client connection:
// typed, ordered events over Redis pub/sub, one channel per api process, demultiplexed by
// request id. Events queued in the same tick are batched into one PUBLISH per channel.
import type { Redis } from 'ioredis';
import type { SettleMessage } from './billing/ledger.js';
import { errors, type SerializedError } from './errors.js';
import type { PubSub } from './pubsub.js';
import type { ChunkChoice, CompletionChoice, Usage } from './wire/chat.js';

export type EndReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'client_cancel' | 'error';

/**
 * Terminal events carry the request's settlement: the api commits it before the client sees
 * the end, so what the client saw complete is exactly what is billed as complete.
 */
export type RelayEvent =
  /** One upstream chunk's choices (stream mode). */
  | { t: 'delta'; choices: ChunkChoice[]; fingerprint?: string | null; quota?: number }
  /** Token usage reported by the upstream (or counted). */
  | { t: 'usage'; usage: Usage; quota?: number }
  /** The merged answer (non-stream mode). */
  | {
      t: 'completion';
      choices: CompletionChoice[];
      usage: Usage;
      fingerprint?: string | null;
      quota?: number;
      settlement?: SettleMessage;
    }
  | { t: 'error'; error: SerializedError; settlement?: SettleMessage }
  | { t: 'end'; reason: EndReason; settlement?: SettleMessage }
  /** Sent while the worker waits on a slow upstream, so the api knows it is alive. */
  | { t: 'hb' };

/** One relay message: [requestId, sequence number, event]. */
type Envelope = [string, number, RelayEvent];

export type TerminalEvent = Extract<RelayEvent, { t: 'end' | 'error' | 'completion' }>;

export function isTerminal(event: RelayEvent): event is TerminalEvent {
  return event.t === 'end' || event.t === 'error' || event.t === 'completion';
}

interface Batch {
  envelopes: Envelope[];
  /** Resolved with the PUBLISH answer (subscribers reached) once the batch is out. */
  waiters: ((receivers: number | null) => void)[];
}

/** Worker side: queues events per reply channel and publishes each batch once per tick. */
export class RelayPublisher {
  private readonly pending = new Map<string, Batch>();
  private readonly sequence = new Map<string, number>();
  private scheduled = false;

  constructor(private readonly redis: Redis) {}

  send(replyTo: string, requestId: string, event: RelayEvent): void {
    this.enqueue(replyTo, requestId, event);
  }

  /**
   * Sends an event and resolves with how many subscribers of `replyTo` received its batch:
   * 0 means no api process listens there (it died); null means Redis did not answer.
   */
  sendConfirmed(replyTo: string, requestId: string, event: RelayEvent): Promise<number | null> {
    return new Promise((resolve) => this.enqueue(replyTo, requestId, event).waiters.push(resolve));
  }

  private enqueue(replyTo: string, requestId: string, event: RelayEvent): Batch {
    const seq = this.sequence.get(requestId) ?? 0;
    this.sequence.set(requestId, seq + 1);
    let batch = this.pending.get(replyTo);
    if (!batch) {
      batch = { envelopes: [], waiters: [] };
      this.pending.set(replyTo, batch);
    }
    batch.envelopes.push([requestId, seq, event]);
    if (isTerminal(event)) this.sequence.delete(requestId);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush().catch(() => undefined));
    }
    return batch;
  }

  /** Drops a request's sequence counter (a request that ended without a terminal event, e.g. cancelled). */
  forget(requestId: string): void {
    this.sequence.delete(requestId);
  }

  /** Requests with a live sequence counter. */
  get tracked(): number {
    return this.sequence.size;
  }

  /** Publishes everything queued; resolves when Redis has answered (or failed). */
  async flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batches = [...this.pending];
    this.pending.clear();
    const pipeline = this.redis.pipeline();
    for (const [channel, batch] of batches) pipeline.publish(channel, JSON.stringify(batch.envelopes));
    let results: [Error | null, unknown][] | null = null;
    try {
      results = await pipeline.exec();
    } finally {
      batches.forEach(([, batch], index) => {
        const [error, receivers] = results?.[index] ?? [new Error('no answer'), null];
        for (const waiter of batch.waiters) waiter(error ? null : Number(receivers));
      });
    }
  }
}

export type RelayHandler = (event: RelayEvent) => void;

/** Api side: one subscription per process; events are routed to per-request handlers. */
export class RelayReceiver {
  private readonly handlers = new Map<string, { handler: RelayHandler; next: number }>();

  constructor(
    private readonly pubsub: PubSub,
    readonly channel: string,
  ) {}

  /** Subscribes before any job is enqueued: pub/sub has no replay. */
  async start(): Promise<void> {
    await this.pubsub.subscribe(this.channel, (message) => this.dispatch(message));
  }

  register(requestId: string, handler: RelayHandler): () => void {
    this.handlers.set(requestId, { handler, next: 0 });
    return () => this.handlers.delete(requestId);
  }

  get active(): number {
    return this.handlers.size;
  }

  private dispatch(message: string): void {
    let envelopes: Envelope[];
    try {
      envelopes = JSON.parse(message) as Envelope[];
    } catch {
      return;
    }
    for (const [requestId, seq, event] of envelopes) {
      const entry = this.handlers.get(requestId);
      if (!entry) continue;
      if (seq !== entry.next) {
        // A lost message would corrupt the answer silently: end the request instead.
        this.handlers.delete(requestId);
        entry.handler({ t: 'error', error: errors.relayLost().toJSON() });
        continue;
      }
      entry.next = seq + 1;
      entry.handler(event);
    }
  }
}
