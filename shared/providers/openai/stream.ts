// OpenAI stream parsing with eventsource-parser: SSE `data:` frames become normalized
// chunks; `[DONE]` ends; an error frame or a frame that is not JSON is an UpstreamError.
import { createParser } from 'eventsource-parser';
import type { ChatCompletionChunk } from '../../wire/chat.js';
import type { UpstreamChunk } from '../types.js';
import { UpstreamError } from '../upstream-error.js';
import { errorFromStreamPayload } from './errors.js';

export interface StreamOutcome {
  done: boolean;
  finished: boolean;
}

/** One SSE event may not grow past this: a stream that never ends its frame is broken. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

export async function parseChatStream(
  body: AsyncIterable<Uint8Array>,
  onChunk: (chunk: UpstreamChunk) => void,
): Promise<StreamOutcome> {
  const outcome: StreamOutcome = { done: false, finished: false };
  let failure: UpstreamError | undefined;
  let pendingBytes = 0;
  const parser = createParser({
    onEvent(event) {
      pendingBytes = 0;
      if (failure || outcome.done) return;
      const data = event.data.trim();
      if (data === '[DONE]') {
        outcome.done = true;
        return;
      }
      if (!data) return;
      let payload: ChatCompletionChunk & { error?: unknown };
      try {
        payload = JSON.parse(data);
      } catch {
        failure = new UpstreamError('network', 'upstream sent a malformed stream frame');
        return;
      }
      if (payload.error) {
        failure = errorFromStreamPayload(payload);
        return;
      }
      const choices = Array.isArray(payload.choices) ? payload.choices : [];
      if (choices.some((choice) => choice.finish_reason)) outcome.finished = true;
      onChunk({ choices, usage: payload.usage ?? null, fingerprint: payload.system_fingerprint ?? null });
    },
  });
  const decoder = new TextDecoder();
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      pendingBytes += next.value.byteLength;
      parser.feed(decoder.decode(next.value, { stream: true }));
      if (pendingBytes > MAX_EVENT_BYTES)
        failure ??= new UpstreamError('network', 'upstream sent an oversized stream frame');
      if (failure) throw failure;
      if (outcome.done) {
        // Breaking out would destroy the socket; let the response end so it is reused.
        drainQuietly(iterator);
        return outcome;
      }
    }
  } catch (error) {
    await iterator.return?.().catch(() => undefined);
    throw error;
  }
  // A last frame without its closing blank line still counts (lenient, as most clients are).
  parser.feed(`${decoder.decode()}\n\n`);
  if (failure) throw failure;
  if (!outcome.done && !outcome.finished)
    throw new UpstreamError('network', 'upstream stream ended unexpectedly');
  return outcome;
}

const DRAIN_AFTER_DONE_MS = 2000;

/** Reads the rest of a finished stream in the background; gives up (closing it) after a while. */
function drainQuietly(iterator: AsyncIterator<Uint8Array>): void {
  const timer = setTimeout(() => iterator.return?.().catch(() => undefined), DRAIN_AFTER_DONE_MS);
  timer.unref();
  (async () => {
    try {
      while (!(await iterator.next()).done) {
        // discard
      }
    } catch {
      // the upstream closed or we gave up: nothing to report after [DONE]
    } finally {
      clearTimeout(timer);
    }
  })();
}
