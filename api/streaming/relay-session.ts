// One relay request seen from the api: register for its events (the process is already
// subscribed), enqueue the job, watch for silence (RELAY_IDLE_TIMEOUT: a worker died), and
// cancel on demand. Terminal events release everything.
import type { Logger } from 'pino';
import { errors } from '../../shared/errors.js';
import { type ChatJobData, chatJobName, relayJobOptions } from '../../shared/queues.js';
import { isTerminal, type RelayEvent } from '../../shared/stream-relay.js';
import type { ApiContext } from '../context.js';

export interface RelaySession {
  /** Client gone: tell the worker to abort the upstream call; no more events are delivered. */
  cancel(): void;
}

export async function openRelaySession(
  context: ApiContext,
  data: ChatJobData,
  log: Logger,
  onEvent: (event: RelayEvent) => void,
): Promise<RelaySession> {
  const idleMs = context.config.RELAY_IDLE_TIMEOUT * 1000;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;

  const close = () => {
    closed = true;
    clearTimeout(idleTimer);
    unregister();
  };
  const abandon = () => {
    context.redis.publish(context.keys.cancelChannel, data.requestId).catch(() => undefined);
    // Still waiting in the queue: remove it so it never runs. An active job is left alone:
    // its worker aborts on the cancel, or, if that worker died, the stall check fails it.
    removeIfWaiting(context, data.requestId).catch(() => undefined);
  };
  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (closed) return;
      log.error({ idleMs }, 'no relay event in time: worker lost or queue stalled');
      close();
      abandon();
      onEvent({ t: 'error', error: errors.relayLost().toJSON() });
    }, idleMs);
  };
  const unregister = context.receiver.register(data.requestId, (event) => {
    if (closed) return;
    if (isTerminal(event)) close();
    else armIdle();
    onEvent(event);
  });

  armIdle();
  try {
    await context.chatQueue.add(chatJobName(data), data, relayJobOptions(data.requestId));
  } catch (error) {
    close();
    log.error({ err: error }, 'enqueue failed');
    throw errors.overloaded();
  }
  return {
    cancel() {
      if (closed) return;
      close();
      abandon();
      log.info('client closed the connection: relay cancelled');
    },
  };
}

async function removeIfWaiting(context: ApiContext, jobId: string): Promise<void> {
  const state = await context.chatQueue.getJobState(jobId);
  if (state === 'waiting' || state === 'prioritized' || state === 'delayed')
    await context.chatQueue.remove(jobId);
}
