// The chat relay job: runs once (attempts: 1), fails over between channels inside, streams
// events back to the api process named in job.data.replyTo, then pays for the request.
import type { Job } from 'bullmq';
import type { EndReason } from '../../shared/billing/ledger.js';
import { settle } from '../../shared/billing/settle.js';
import { countedUsage } from '../../shared/billing/tokens.js';
import { storeCachedAnswer } from '../../shared/cache/response-cache.js';
import { upstreamModel } from '../../shared/channels/mapper.js';
import type { ChannelSnapshot, RoutableChannel } from '../../shared/channels/snapshot.js';
import type { Config } from '../../shared/config.js';
import { asGatewayError, errors, GatewayError } from '../../shared/errors.js';
import { requestLogger } from '../../shared/log.js';
import { CancelledError } from '../../shared/providers/upstream-error.js';
import type { ChatJobData } from '../../shared/queues.js';
import type { RelayEvent } from '../../shared/stream-relay.js';
import {
  type RelayOutcome,
  relayCost,
  type SettleDeps,
  settleRelay,
  settlementFor,
} from '../billing/settle-relay.js';
import { callChannel } from '../relay/call-channel.js';
import type { CancelRegistry } from '../relay/cancels.js';
import { runWithFailover } from '../relay/failover.js';
import type { HeartbeatTicker } from '../relay/heartbeat.js';
import { RelayOutput } from '../relay/relay-output.js';

export interface ChatJobDeps extends SettleDeps {
  config: Config;
  snapshot: ChannelSnapshot;
  cancels: CancelRegistry;
  heartbeats: HeartbeatTicker;
  publish: (replyTo: string, requestId: string, event: RelayEvent) => void;
  /** The request is over: forget its relay state (cancelled requests send no terminal event). */
  endRelay: (requestId: string) => void;
}

export interface ChatJobResult {
  outcome: 'ok' | 'cancelled' | 'expired';
  channel?: string;
  finishReason?: string | null;
  cost?: number;
}

function endReasonOf(finishReason: string | null): EndReason {
  if (finishReason === 'length' || finishReason === 'tool_calls') return finishReason;
  if (finishReason === 'content_filter') return 'refused';
  return 'stop';
}

function failureReason(error: GatewayError): EndReason {
  if (error.status === 504) return 'timeout';
  if (error.status >= 400 && error.status < 500) return 'refused';
  return 'upstream_error';
}

export function createChatHandler(deps: ChatJobDeps) {
  return async function handleChat(job: Job<ChatJobData>): Promise<ChatJobResult> {
    const data = job.data;
    const log = requestLogger(data.requestId, 'worker');
    const release = () =>
      settle(deps.knex, { requestId: data.requestId, cost: 0, billable: false, record: null });
    // The api gives up after RELAY_IDLE_TIMEOUT without events: a job that waited longer
    // in the queue has no listener left, so calling the upstream would only cost money.
    if (Date.now() - data.enqueuedAt > deps.config.RELAY_IDLE_TIMEOUT * 1000) {
      log.warn({ waitedMs: Date.now() - data.enqueuedAt }, 'job expired in the queue');
      await release();
      return { outcome: 'expired' };
    }
    const controller = deps.cancels.start(data.requestId);
    if (!controller) {
      await release();
      return { outcome: 'cancelled' };
    }
    const output = new RelayOutput((event) => deps.publish(data.replyTo, data.requestId, event), data.stream);
    const stopHeartbeat = deps.heartbeats.track(output);
    const count = (text: string) => countedUsage(data.model, data.body, text);
    let current: RoutableChannel | null = null;
    const outcome = (endReason: EndReason, billable: boolean): RelayOutcome => ({
      endReason,
      billable,
      usage: output.settleUsage(count),
      channelId: current?.id ?? null,
      upstreamModel: current ? upstreamModel(data.model, current.rules) : null,
      ttftMs: output.firstTokenAt === null ? null : output.firstTokenAt - data.enqueuedAt,
    });
    try {
      await deps.snapshot.ensureVersion(data.channelsVersion ?? 0);
      const candidates = deps.snapshot.candidates(data.model, data.caller.group);
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
          current = next;
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
      const cost = relayCost(data, output.settleUsage(count));
      output.finish(count, data.billing.showQuota ? cost : undefined);
      if (data.cache && output.finishReason !== 'content_filter') {
        const answer = {
          choices: output.answer(),
          usage: output.settleUsage(count),
          fingerprint: output.fingerprint,
        };
        storeCachedAnswer(deps.redis, data.cache.key, answer, data.cache.expire).catch((error) =>
          log.warn({ err: error }, 'storing the answer in the response cache failed'),
        );
      }
      await settleRelay(
        deps,
        data,
        settlementFor(data, outcome(endReasonOf(output.finishReason), true)),
        log,
      );
      log.info({ channel: channel.name, finishReason: output.finishReason, cost }, 'relay finished');
      return { outcome: 'ok', channel: channel.name, finishReason: output.finishReason, cost };
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      const produced = output.producedText().length > 0;
      if (error instanceof CancelledError && !(reason instanceof GatewayError)) {
        // The client left: what the upstream produced until then is paid.
        await settleRelay(deps, data, settlementFor(data, outcome('client_cancel', produced)), log);
        log.info({ produced }, 'relay cancelled by the client');
        return { outcome: 'cancelled' };
      }
      const cause = error instanceof CancelledError ? reason : error;
      const failure = asGatewayError(cause);
      if (!(cause instanceof GatewayError)) log.error({ err: cause }, 'relay crashed');
      output.send({ t: 'error', error: failure.toJSON() });
      // Output that reached the client before the failure is paid; otherwise nothing is.
      await settleRelay(
        deps,
        data,
        settlementFor(data, outcome(failureReason(failure), output.emitted && produced)),
        log,
      );
      throw failure;
    } finally {
      stopHeartbeat();
      deps.cancels.finish(data.requestId);
      deps.endRelay(data.requestId);
    }
  };
}
