// Mock provider response timing: writes SSE groups / JSON bodies after `first` and `delay` waits and ends them
// normally or with an injected mid-stream failure. One timer per response, cleared when the client goes away.
import type { ServerResponse } from 'node:http';
import type { StreamParts } from './chat-completion.js';
import { garbageFrame } from './failures.js';
import { sendJson } from './json-response.js';

/** Per-response state shared by the server (close handling) and the writers. */
export interface ResponseSession {
  response: ServerResponse;
  requestId: string;
  closed: boolean;
  /** True when the mock destroyed the socket on purpose (reset), so the close is not a client abort. */
  destroyedByMock: boolean;
  timer: NodeJS.Timeout | null;
}

/** How a response ends: normally, socket reset, a non-JSON frame then end, or never. */
export type ResponseEnding = 'done' | 'reset' | 'garbage' | 'hang';

export function createSession(response: ServerResponse, requestId: string): ResponseSession {
  return { response, requestId, closed: false, destroyedByMock: false, timer: null };
}

/** Runs `action` after `milliseconds` (synchronously when 0), skipping it if the response closed meanwhile. */
export function afterDelay(session: ResponseSession, milliseconds: number, action: () => void): void {
  if (milliseconds <= 0) {
    action();
    return;
  }
  session.timer = setTimeout(() => {
    session.timer = null;
    if (!session.closed) action();
  }, milliseconds);
}

/** Clears the pending timer; call from the response `close` handler. */
export function closeSession(session: ResponseSession): void {
  session.closed = true;
  if (session.timer !== null) {
    clearTimeout(session.timer);
    session.timer = null;
  }
}

/** Destroys the socket without (further) response, after `data` (if any) was flushed. */
export function resetConnection(session: ResponseSession, data?: string): void {
  session.destroyedByMock = true;
  const socket = session.response.socket;
  if (data === undefined || data === '') {
    socket?.destroy();
    return;
  }
  session.response.write(data, () => socket?.destroy());
}

const streamHeaders = (requestId: string): Record<string, string> => ({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-request-id': requestId,
});

function finish(session: ResponseSession, data: string, ending: ResponseEnding, tail: string): void {
  const response = session.response;
  if (ending === 'done') response.end(data + tail);
  else if (ending === 'garbage') response.end(data + garbageFrame);
  else if (ending === 'reset') resetConnection(session, data);
  else if (data !== '') response.write(data);
}

/**
 * Streams `parts`: headers now, then after `first` the head plus the first group, then one group every `delay`.
 * A non-`done` ending fires after `limit` groups (clamped to the group count).
 */
export function writeStream(
  session: ResponseSession,
  parts: StreamParts,
  timing: { first: number; delay: number },
  ending: ResponseEnding,
  limit: number,
): void {
  const response = session.response;
  const groups = parts.groups;
  const groupCount = ending === 'done' ? groups.length : Math.min(limit, groups.length);
  response.writeHead(200, streamHeaders(session.requestId));
  if (timing.delay <= 0 || groupCount <= 1) {
    if (timing.first > 0) response.flushHeaders();
    afterDelay(session, timing.first, () => {
      let data = parts.head;
      for (let index = 0; index < groupCount; index++) data += groups[index];
      finish(session, data, ending, parts.tail);
    });
    return;
  }
  response.flushHeaders();
  let index = 0;
  const step = (): void => {
    const data = (index === 0 ? parts.head : '') + groups[index];
    index++;
    if (index >= groupCount) {
      finish(session, data, ending, parts.tail);
      return;
    }
    response.write(data);
    afterDelay(session, timing.delay, step);
  };
  afterDelay(session, timing.first, step);
}

/**
 * Sends a JSON body after `first`. Mid-body endings write the first half of the JSON, then
 * reset the socket, end with the truncated body (`garbage`), or stall (`hang`).
 */
export function writeJson(
  session: ResponseSession,
  body: string,
  first: number,
  ending: ResponseEnding,
): void {
  afterDelay(session, first, () => {
    const response = session.response;
    if (ending === 'done') {
      sendJson(response, 200, body, { 'x-request-id': session.requestId });
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'x-request-id': session.requestId });
    const half = body.slice(0, Math.floor(body.length / 2));
    if (ending === 'reset') resetConnection(session, half);
    else if (ending === 'garbage') response.end(half);
    else response.write(half);
  });
}
