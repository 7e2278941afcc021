// The chat relay job: runs once (attempts: 1), fails over between channels inside, streams
// events back to the api process named in job.data.replyTo, and ends with one terminal event
// that carries the request's settlement. The api commits it before the client sees the end;
// the job commits it itself only when no api process listens any more.
import type { Job } from 'bullmq';
import type { Knex } from 'knex';
import { type EndReason, releaseOf, type SettleInput, toSettleMessage } from '../../shared/billing/ledger.js';
import { microToPoints } from '../../shared/billing/money.js';
import {
  queueSettlement,
  type RelayOutcome,
  relayCost,
  type SettlementSink,
  settlementFor,
} from '../../shared/billing/relay-settlement.js';
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
import type { Usage } from '../../shared/wire/chat.js';
import { callChannel } from '../relay/call-channel.js';
import type { CancelRegistry } from '../relay/cancels.js';
import { runWithFailover } from '../relay/failover.js';
import type { HeartbeatTicker } from '../relay/heartbeat.js';
import { RelayOutput } from '../relay/relay-output.js';

export interface ChatJobDeps extends SettlementSink {
  knex: Knex;
  config: Config;
  snapshot: ChannelSnapshot;
  cancels: CancelRegistry;
  heartbeats: HeartbeatTicker;
  publish: (replyTo: string, requestId: string, event: RelayEvent) => void;
  /** Sends the terminal event; resolves with the subscribers reached (0: no api listens; null: unknown). */
  publishTerminal: (replyTo: string, requestId: string, event: RelayEvent) => Promise<number | null>;
  /** The request is over: forget its relay state. */
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

/**
 * Sends the terminal event with its settlement. When no api process received it (it died),
 * the settlement is queued with a delay: an api that was only re-subscribing after a Redis
 * restart settles first (after its idle timeout), so the queued one then changes nothing.
 */
async function endRequest(deps: ChatJobDeps, data: ChatJobData, event: RelayEvent, settlement: SettleInput) {
  const terminal = { ...event, settlement: toSettleMessage(settlement) } as RelayEvent;
  const receivers = await deps.publishTerminal(data.replyTo, data.requestId, terminal);
  if (receivers !== 0) return;
  const delayMs = (deps.config.RELAY_IDLE_TIMEOUT + 10) * 1000;
  await queueSettlement(deps, settlement, delayMs).catch((error) =>
    requestLogger(data.requestId, 'worker').error({ err: error }, 'queueing an unheard settlement failed'),
  );
}

export function createChatHandler(deps: ChatJobDeps) {
  return async function handleChat(job: Job<ChatJobData>): Promise<ChatJobResult> {
    const data = job.data;
    const log = requestLogger(data.requestId, 'worker');
    // Nobody listens (or ever heard of an answer): the hold goes back at once.
    const release = () => settle(deps.knex, releaseOf(data.requestId));
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
    const knownPrompt = data.promptTokens?.exact ? data.promptTokens.tokens : undefined;
    const usage = async (): Promise<Usage> => {
      output.usage ??= await countedUsage(data.model, data.body, output.producedText(), knownPrompt);
      return output.usage;
    };
    let current: RoutableChannel | null = null;
    const outcome = async (endReason: EndReason, billable: boolean): Promise<RelayOutcome> => ({
      endReason,
      billable,
      usage: await usage(),
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
      const final = await usage();
      const cost = relayCost(data, final);
      const terminal = output.finish(final, data.billing.showQuota ? microToPoints(cost) : undefined);
      if (data.cache && output.finishReason !== 'content_filter') {
        const answer = { choices: output.answer(), usage: final, fingerprint: output.fingerprint };
        storeCachedAnswer(deps.redis, data.cache.key, answer, data.cache.expire).catch((error) =>
          log.warn({ err: error }, 'storing the answer in the response cache failed'),
        );
      }
      const settlement = settlementFor(data, await outcome(endReasonOf(output.finishReason), true));
      await endRequest(deps, data, terminal, settlement);
      log.info({ channel: channel.name, finishReason: output.finishReason, cost }, 'relay finished');
      return {
        outcome: 'ok',
        channel: channel.name,
        finishReason: output.finishReason,
        cost: microToPoints(cost),
      };
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      const produced = output.producedText().length > 0;
      if (error instanceof CancelledError && !(reason instanceof GatewayError)) {
        // The client left: what the upstream produced until then is paid.
        const settlement = settlementFor(data, await outcome('client_cancel', produced));
        await endRequest(deps, data, { t: 'end', reason: 'client_cancel' }, settlement);
        log.info({ produced }, 'relay cancelled by the client');
        return { outcome: 'cancelled' };
      }
      const cause = error instanceof CancelledError ? reason : error;
      const failure = asGatewayError(cause);
      if (!(cause instanceof GatewayError)) log.error({ err: cause }, 'relay crashed');
      // Output that reached the client before the failure is paid; otherwise nothing is.
      const settlement = settlementFor(
        data,
        await outcome(failureReason(failure), output.emitted && produced),
      );
      await endRequest(deps, data, { t: 'error', error: failure.toJSON() }, settlement);
      throw failure;
    } finally {
      stopHeartbeat();
      deps.cancels.finish(data.requestId);
      deps.endRelay(data.requestId);
    }
  };
}
