// One relay request seen from the api, with no transport in it: register for its events (the
// process is already subscribed), enqueue the job, and hand the events out as an async
// iterable that SSE, JSON and WebSocket writers loop over. It watches for silence
// (RELAY_IDLE_TIMEOUT: a worker died or Redis is away) and settles exactly once before the
// last event is handed out: the terminal event's settlement, or, when the worker is lost,
// one for what was handed out.
import type { Logger } from 'pino';
import { commitSettlement, settlementFor } from '../../shared/billing/relay-settlement.js';
import { fromSettleMessage, releaseOf, type SettleInput } from '../../shared/billing/ledger.js';
import { settle } from '../../shared/billing/settle.js';
import { countTokensYielding } from '../../shared/billing/tokens.js';
import { errors, GatewayError } from '../../shared/errors.js';
import { isOutage } from '../../shared/outage.js';
import { type ChatJobData, chatJobName, relayJobOptions } from '../../shared/queues.js';
import { isTerminal, type RelayEvent } from '../../shared/stream-relay.js';
import type { ChunkChoice } from '../../shared/wire/chat.js';
import type { ApiContext } from '../context.js';

/** A reader that falls this far behind (characters of output) is cut off. */
export const MAX_BUFFERED_CHARS = 16 * 1024 * 1024;

/** The text a delta carries (content, reasoning, refusal, tool call parts). */
function deltaText(choices: ChunkChoice[]): string {
  let text = '';
  for (const { delta } of choices) {
    if (!delta) continue;
    text += (delta.reasoning_content ?? '') + (delta.content ?? '') + (delta.refusal ?? '');
    for (const call of delta.tool_calls ?? [])
      text += (call.function?.name ?? '') + (call.function?.arguments ?? '');
  }
  return text;
}

export class RelaySession implements AsyncIterable<RelayEvent> {
  private readonly queue: RelayEvent[] = [];
  private head = 0;
  private bufferedChars = 0;
  private wake: (() => void) | null = null;
  /** No more events will be handed out. */
  private closed = false;
  /** The client left: nothing is handed out, the request is still settled. */
  private detached = false;
  /** The request reached its end (terminal event, or lost). */
  private ended = false;
  private delivered = '';
  private idleTimer: NodeJS.Timeout | undefined;
  private unregister: () => void = () => undefined;
  /** Resolves once the request's hold is taken (null) or refused (the refusal). */
  private gate: Promise<GatewayError | null> = Promise.resolve(null);

  constructor(
    private readonly context: ApiContext,
    readonly data: ChatJobData,
    private readonly log: Logger,
  ) {}

  /**
   * Registers, then enqueues (pub/sub has no replay); a failed enqueue releases the hold.
   * With a hold still being taken, the job runs meanwhile but nothing is handed out, and
   * nothing settled, before the hold is known; a refused hold ends the request with it.
   */
  async start(hold: Promise<void> | null = null): Promise<void> {
    if (hold) {
      this.gate = hold.then(
        () => null,
        (error) =>
          error instanceof GatewayError
            ? error
            : isOutage(error)
              ? errors.dependencyUnavailable()
              : errors.internal(),
      );
      this.gate.then((refusal) => refusal && this.refuse(refusal));
    }
    this.unregister = this.context.receiver.register(this.data.requestId, (event) => this.receive(event));
    this.armIdle();
    try {
      await this.context.chatQueue.add(
        chatJobName(this.data),
        this.data,
        relayJobOptions(this.data.requestId),
      );
    } catch (error) {
      this.end();
      this.closed = true;
      this.log.error({ err: error }, 'enqueue failed');
      if (!(await this.gate)) {
        await settle(this.context.knex, releaseOf(this.data.requestId)).catch((releaseError) =>
          this.log.error({ err: releaseError }, 'releasing the hold of an unqueued request failed'),
        );
      }
      throw errors.dependencyUnavailable();
    }
  }

  /** The hold was refused after the job started: stop it and answer with the refusal. */
  private refuse(refusal: GatewayError): void {
    if (this.ended) return;
    this.end();
    this.abandon();
    this.queue.length = this.head;
    this.hand({ t: 'error', error: refusal.toJSON() });
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RelayEvent> {
    // Nothing reaches the client before its hold is taken.
    await this.gate;
    for (;;) {
      if (this.head < this.queue.length) {
        const event = this.queue[this.head];
        this.queue[this.head] = undefined as unknown as RelayEvent;
        this.head += 1;
        if (event.t === 'delta') this.bufferedChars -= deltaText(event.choices).length;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        yield event;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The client is gone: the worker is told to abort; the request is still settled once. */
  cancel(): void {
    if (this.detached) return;
    this.detached = true;
    this.close();
    if (this.ended) return;
    this.abandon();
    this.log.info('client closed the connection: relay cancelled');
  }

  private hand(event: RelayEvent): void {
    if (this.detached || this.closed) return;
    this.queue.push(event);
    this.wakeReader();
  }

  private close(): void {
    this.closed = true;
    this.wakeReader();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private receive(event: RelayEvent): void {
    if (this.ended) return;
    if (!isTerminal(event)) {
      this.armIdle();
      if (event.t === 'delta' && !this.detached) {
        const text = deltaText(event.choices);
        this.delivered += text;
        this.bufferedChars += text.length;
        if (this.bufferedChars > MAX_BUFFERED_CHARS) {
          this.log.warn({ buffered: this.bufferedChars }, 'client reads too slowly: relay cancelled');
          this.cancel();
          return;
        }
      }
      this.hand(event);
      return;
    }
    this.end();
    // A relay error (a lost sequence) carries no settlement: settle as a lost worker.
    if (event.t === 'error' && !event.settlement) this.settleLost();
    else
      this.finish(event, event.settlement && fromSettleMessage(event.settlement)).catch((error) =>
        this.log.error({ err: error }, 'finishing a relay failed'),
      );
  }

  /** Commits the settlement, then hands out the end; if nothing could record it, the end is an error. */
  private async finish(event: RelayEvent, settlement: SettleInput | undefined): Promise<void> {
    // With its hold refused the request ends with the refusal, and there is nothing to settle.
    const refusal = await this.gate;
    if (refusal) {
      this.queue.length = this.head;
      this.hand({ t: 'error', error: refusal.toJSON() });
      this.close();
      return;
    }
    if (settlement) {
      try {
        await commitSettlement(this.context, this.data.caller, settlement, this.log);
      } catch (error) {
        this.log.error({ err: error }, 'settlement could not be recorded: answer withheld');
        this.hand({ t: 'error', error: errors.dependencyUnavailable().toJSON() });
        this.close();
        return;
      }
    }
    this.hand(event);
    this.close();
  }

  /** The worker went silent: what was handed out is paid, the rest of the hold goes back. */
  private settleLost(): void {
    const lost = async () => {
      const completion = await countTokensYielding(this.data.model, this.delivered);
      const prompt = this.data.promptTokens?.tokens ?? 0;
      const settlement = settlementFor(this.data, {
        endReason: 'worker_lost',
        billable: this.delivered.length > 0,
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
        channelId: null,
        upstreamModel: null,
        ttftMs: null,
      });
      await this.finish({ t: 'error', error: errors.relayLost().toJSON() }, settlement);
    };
    lost().catch((error) => this.log.error({ err: error }, 'settling a lost relay failed'));
  }

  private end(): void {
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.unregister();
  }

  private abandon(): void {
    const { redis, keys } = this.context;
    redis.publish(keys.cancelChannel, this.data.requestId).catch(() => undefined);
    // Still waiting in the queue: remove it so it never runs (and release its hold now). An
    // active job is left alone: its worker aborts on the cancel and sends its final event.
    removeIfWaiting(this.context, this.data.requestId)
      .then((removed) => {
        if (!removed || this.ended) return;
        this.end();
        this.settleLost();
      })
      .catch(() => undefined);
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    const idleMs = this.context.config.RELAY_IDLE_TIMEOUT * 1000;
    this.idleTimer = setTimeout(() => {
      if (this.ended) return;
      this.log.error({ idleMs }, 'no relay event in time: worker lost or queue stalled');
      this.end();
      if (!this.detached) this.abandon();
      this.settleLost();
    }, idleMs);
  }
}

/** Registers for a request's events and enqueues its job. */
export async function openRelaySession(
  context: ApiContext,
  data: ChatJobData,
  log: Logger,
  hold: Promise<void> | null = null,
): Promise<RelaySession> {
  const session = new RelaySession(context, data, log);
  await session.start(hold);
  return session;
}

/** True when the job was still waiting and is now removed (it will never run). */
async function removeIfWaiting(context: ApiContext, jobId: string): Promise<boolean> {
  const state = await context.chatQueue.getJobState(jobId);
  if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed') return false;
  return (await context.chatQueue.remove(jobId)) === 1;
}
