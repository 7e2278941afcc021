// The one executor for upstream calls: HTTP through undici (keep-alive agent or the
// channel's proxy), abort on the caller's signal, the first-token deadline and the overall
// deadline, bounded reads, SSE framing with eventsource-parser (an event may not pass 8 MB),
// draining a finished stream so its socket is reused, and turning whatever failed into a
// classified UpstreamError. Providers only map requests, answers, events and errors.
import { createParser } from 'eventsource-parser';
import { type Dispatcher, request } from 'undici';
import { ERROR_BODY_LIMIT, JSON_BODY_LIMIT, readBounded, upstreamAgent } from './http.js';
import type { ChatCapability, ChatRequestInput, UpstreamChunk } from './types.js';
import { CancelledError, UpstreamError } from './upstream-error.js';

/** One SSE event may not grow past this: a stream that never ends its frame is broken. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;
const DRAIN_AFTER_DONE_MS = 2000;

export interface ExecuteOptions {
  /** The request's own signal (client cancel, shutdown). */
  signal: AbortSignal;
  dispatcher?: Dispatcher;
  /** No chunk within this many ms: a timeout (retryable). */
  firstTokenMs: number;
  /** The whole call may not take longer. */
  totalMs: number;
}

/** Turns whatever undici threw into a classified error, honouring the abort reason. */
function toUpstreamError(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof UpstreamError || reason instanceof CancelledError) return reason;
    return new CancelledError();
  }
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: string })?.code ?? '';
  if (code.includes('TIMEOUT')) return new UpstreamError('timeout', 'upstream timed out');
  return new UpstreamError('network', `upstream connection failed (${code || 'network error'})`);
}

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
      // the upstream closed or we gave up: nothing to report after the end
    } finally {
      clearTimeout(timer);
    }
  })();
}

/**
 * Frames an SSE body and hands each event to the provider; resolves when the provider says
 * the answer is done (or the stream closed on a complete answer), throws its UpstreamError.
 */
export async function readEventStream<State>(
  body: AsyncIterable<Uint8Array>,
  chat: ChatCapability<State>,
  onChunk: (chunk: UpstreamChunk) => void,
): Promise<void> {
  const state = chat.startStream();
  let failure: UpstreamError | undefined;
  let done = false;
  let pendingBytes = 0;
  const parser = createParser({
    onEvent(event) {
      pendingBytes = 0;
      if (failure || done) return;
      const step = chat.parseStreamEvent({ event: event.event, data: event.data }, state);
      for (const chunk of step.chunks ?? []) onChunk(chunk);
      if (step.error) failure = step.error;
      else if (step.done) done = true;
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
      if (done) {
        // Breaking out would destroy the socket; let the response end so it is reused.
        drainQuietly(iterator);
        return;
      }
    }
  } catch (error) {
    await iterator.return?.().catch(() => undefined);
    throw error;
  }
  // A last frame without its closing blank line still counts.
  parser.feed(`${decoder.decode()}\n\n`);
  if (failure) throw failure;
  if (done) return;
  const incomplete = chat.endStream(state);
  if (incomplete) throw incomplete;
}

/** One chat call: streams chunks to onChunk; throws UpstreamError or CancelledError. */
export async function executeChat<State>(
  chat: ChatCapability<State>,
  input: ChatRequestInput,
  options: ExecuteOptions,
  onChunk: (chunk: UpstreamChunk) => void,
): Promise<void> {
  const controller = new AbortController();
  const forward = () => controller.abort(options.signal.reason);
  if (options.signal.aborted) forward();
  options.signal.addEventListener('abort', forward, { once: true });
  const firstToken = setTimeout(
    () => controller.abort(new UpstreamError('timeout', 'upstream sent no first token in time')),
    options.firstTokenMs,
  );
  const deadline = setTimeout(
    () => controller.abort(new UpstreamError('timeout', 'upstream call exceeded MAX_TIMEOUT')),
    options.totalMs,
  );
  const relay = (chunk: UpstreamChunk) => {
    clearTimeout(firstToken);
    onChunk(chunk);
  };
  try {
    const spec = chat.buildRequest(input);
    const response = await request(spec.url, {
      method: 'POST',
      headers: spec.headers,
      body: spec.body,
      signal: controller.signal,
      dispatcher: options.dispatcher ?? upstreamAgent(),
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await readBounded(response.body, ERROR_BODY_LIMIT).catch(() => '');
      throw chat.parseError(response.statusCode, response.headers, text);
    }
    const type = String(response.headers['content-type'] ?? '');
    if (type.includes('application/json')) {
      const text = await readBounded(response.body, JSON_BODY_LIMIT);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new UpstreamError('network', 'upstream returned a malformed answer');
      }
      for (const chunk of chat.parseResponse(json)) relay(chunk);
      return;
    }
    await readEventStream(response.body, chat, relay);
  } catch (error) {
    throw toUpstreamError(error, controller.signal);
  } finally {
    clearTimeout(firstToken);
    clearTimeout(deadline);
    options.signal.removeEventListener('abort', forward);
  }
}
