// The chat relay job: runs once (attempts: 1), fails over between channels inside, and
// streams events back to the api process named in job.data.replyTo.
import type { Job } from 'bullmq';
import type { ChannelSnapshot } from '../../shared/channels/snapshot.js';
import type { Config } from '../../shared/config.js';
import { countedUsage } from '../../shared/billing/tokens.js';
import { asGatewayError, errors, GatewayError } from '../../shared/errors.js';
import { requestLogger } from '../../shared/log.js';
import { CancelledError } from '../../shared/providers/upstream-error.js';
import type { ChatJobData } from '../../shared/queues.js';
import type { RelayEvent } from '../../shared/stream-relay.js';
import { callChannel } from '../relay/call-channel.js';
import type { CancelRegistry } from '../relay/cancels.js';
import { runWithFailover } from '../relay/failover.js';
import type { HeartbeatTicker } from '../relay/heartbeat.js';
import { RelayOutput } from '../relay/relay-output.js';

export interface ChatJobDeps {
  config: Config;
  snapshot: ChannelSnapshot;
  cancels: CancelRegistry;
  heartbeats: HeartbeatTicker;
  publish: (replyTo: string, requestId: string, event: RelayEvent) => void;
}

export interface ChatJobResult {
  outcome: 'ok' | 'cancelled' | 'expired';
  channel?: string;
  finishReason?: string | null;
}

export function createChatHandler(deps: ChatJobDeps) {
  return async function handleChat(job: Job<ChatJobData>): Promise<ChatJobResult> {
    const data = job.data;
    const log = requestLogger(data.requestId, 'worker');
    // The api gives up after RELAY_IDLE_TIMEOUT without events: a job that waited longer
    // in the queue has no listener left, so calling the upstream would only cost money.
    if (Date.now() - data.enqueuedAt > deps.config.RELAY_IDLE_TIMEOUT * 1000) {
      log.warn({ waitedMs: Date.now() - data.enqueuedAt }, 'job expired in the queue');
      return { outcome: 'expired' };
    }
    const controller = deps.cancels.start(data.requestId);
    if (!controller) return { outcome: 'cancelled' };
    const output = new RelayOutput((event) => deps.publish(data.replyTo, data.requestId, event), data.stream);
    const stopHeartbeat = deps.heartbeats.track(output);
    try {
      await deps.snapshot.ensureVersion(data.channelsVersion ?? 0);
      const candidates = deps.snapshot.candidates(data.model, data.caller.group);
      log.debug({ model: data.model, candidates: candidates.length }, 'relay started');
      if (candidates.length === 0) throw errors.noChannel(data.model);
      const channel = await runWithFailover({
        candidates,
        signal: controller.signal,
        maxRateLimitWaitMs: deps.config.RATE_LIMIT_MAX_WAIT * 1000,
        hasOutput: () => output.emitted,
        onFailure: (failed, error, attempt) =>
          log.warn(
            { channel: failed.name, attempt, kind: error.kind, status: error.status },
            'upstream attempt failed',
          ),
        attempt: (next) => {
          output.resetAttempt();
          return callChannel({
            channel: next,
            model: data.model,
            body: data.body as Record<string, unknown>,
            signal: controller.signal,
            config: deps.config,
            onChunk: (chunk) => output.chunk(chunk),
          });
        },
      });
      output.finish((text) => countedUsage(data.model, data.body, text));
      log.info({ channel: channel.name, finishReason: output.finishReason }, 'relay finished');
      return { outcome: 'ok', channel: channel.name, finishReason: output.finishReason };
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (error instanceof CancelledError && !(reason instanceof GatewayError)) {
        log.info('relay cancelled by the client');
        return { outcome: 'cancelled' };
      }
      const cause = error instanceof CancelledError ? reason : error;
      const failure = asGatewayError(cause);
      if (!(cause instanceof GatewayError)) log.error({ err: cause }, 'relay crashed');
      output.send({ t: 'error', error: failure.toJSON() });
      throw failure;
    } finally {
      stopHeartbeat();
      deps.cancels.finish(data.requestId);
    }
  };
}
