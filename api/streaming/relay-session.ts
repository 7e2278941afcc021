// One relay request seen from the api: register for its events (the process is already
// subscribed), enqueue the job, watch for silence (RELAY_IDLE_TIMEOUT: a worker died or Redis
// is away), and settle exactly once before the client sees the end: the terminal event's
// settlement, or, when the worker is lost, one for what reached the client.
import type { Logger } from 'pino';
import { commitSettlement, settlementFor } from '../../shared/billing/relay-settlement.js';
import type { SettleInput } from '../../shared/billing/ledger.js';
import { countTokensYielding } from '../../shared/billing/tokens.js';
import { errors } from '../../shared/errors.js';
import { type ChatJobData, chatJobName, relayJobOptions } from '../../shared/queues.js';
import { isTerminal, type RelayEvent } from '../../shared/stream-relay.js';
import type { ChunkChoice } from '../../shared/wire/chat.js';
import type { ApiContext } from '../context.js';

export interface RelaySession {
  /**
   * The client is gone: the worker is told to abort; events are no longer delivered, but the
   * request is still settled once (from the worker's final event, or after the idle timeout).
   */
  cancel(): void;
}

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

export async function openRelaySession(
  context: ApiContext,
  data: ChatJobData,
  log: Logger,
  onEvent: (event: RelayEvent) => void,
): Promise<RelaySession> {
  const idleMs = context.config.RELAY_IDLE_TIMEOUT * 1000;
  let ended = false;
  let detached = false;
  let delivered = '';
  let idleTimer: NodeJS.Timeout | undefined;

  const deliver = (event: RelayEvent) => {
    if (!detached) onEvent(event);
  };
  /** Commits the settlement, then shows the end; if nothing could record it, the end is an error. */
  const finish = async (event: RelayEvent, settlement: SettleInput | undefined) => {
    if (settlement) {
      try {
        await commitSettlement(context, data.caller, settlement, log);
      } catch (error) {
        log.error({ err: error }, 'settlement could not be recorded: answer withheld');
        deliver({ t: 'error', error: errors.dependencyUnavailable().toJSON() });
        return;
      }
    }
    deliver(event);
  };
  /** The worker went silent: what reached the client is paid, the rest of the hold goes back. */
  const lost = async () => {
    const completion = await countTokensYielding(data.model, delivered);
    const prompt = data.promptTokens?.tokens ?? 0;
    const settlement = settlementFor(data, {
      endReason: 'worker_lost',
      billable: delivered.length > 0,
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      channelId: null,
      upstreamModel: null,
      ttftMs: null,
    });
    await finish({ t: 'error', error: errors.relayLost().toJSON() }, settlement);
  };
  const end = () => {
    ended = true;
    clearTimeout(idleTimer);
    unregister();
  };
  const settleLost = () => lost().catch((error) => log.error({ err: error }, 'settling a lost relay failed'));
  const abandon = () => {
    context.redis.publish(context.keys.cancelChannel, data.requestId).catch(() => undefined);
    // Still waiting in the queue: remove it so it never runs (and release its hold now). An
    // active job is left alone: its worker aborts on the cancel and sends its final event.
    removeIfWaiting(context, data.requestId)
      .then((removed) => {
        if (!removed || ended) return;
        end();
        settleLost();
      })
      .catch(() => undefined);
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (ended) return;
      log.error({ idleMs }, 'no relay event in time: worker lost or queue stalled');
      end();
      if (!detached) abandon();
      settleLost();
    }, idleMs);
  };
  const unregister = context.receiver.register(data.requestId, (event) => {
    if (ended) return;
    if (!isTerminal(event)) {
      armIdle();
      if (event.t === 'delta') delivered += deltaText(event.choices);
      deliver(event);
      return;
    }
    end();
    // A relay error (a lost sequence) carries no settlement: settle as a lost worker.
    if (event.t === 'error' && !event.settlement) {
      settleLost();
      return;
    }
    finish(event, event.settlement).catch((error) => log.error({ err: error }, 'finishing a relay failed'));
  });

  armIdle();
  try {
    await context.chatQueue.add(chatJobName(data), data, relayJobOptions(data.requestId));
  } catch (error) {
    end();
    log.error({ err: error }, 'enqueue failed');
    throw errors.dependencyUnavailable();
  }
  return {
    cancel() {
      if (ended || detached) return;
      detached = true;
      abandon();
      log.info('client closed the connection: relay cancelled');
    },
  };
}

/** True when the job was still waiting and is now removed (it will never run). */
async function removeIfWaiting(context: ApiContext, jobId: string): Promise<boolean> {
  const state = await context.chatQueue.getJobState(jobId);
  if (state !== 'waiting' && state !== 'prioritized' && state !== 'delayed') return false;
  return (await context.chatQueue.remove(jobId)) === 1;
}
