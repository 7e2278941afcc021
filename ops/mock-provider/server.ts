// Mock upstream AI provider: a node:http server speaking the OpenAI chat completions wire format, with
// request recording, `/__mock/*` admin routes and on-demand failures. `startMockProvider` is the entry point.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleChatCompletion } from './chat-handler.js';
import { collectControls, splitPath } from './controls.js';
import { FailureCounters, sendOpenAiError } from './failures.js';
import { sendJson } from './json-response.js';
import { sendModels } from './models.js';
import { type RecordedRequest, RequestRecorder } from './recorder.js';
import { closeSession, createSession } from './response-writer.js';

export type { RecordedRequest } from './recorder.js';
export type { MockControls } from './controls.js';

export interface MockProviderOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Recorded requests kept (oldest dropped first); default 10000, Infinity for unlimited, 0 for none. */
  maxRecorded?: number;
  /** Largest accepted request body in bytes; default 10 MB. */
  maxBodyBytes?: number;
}

export interface MockProvider {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:8095`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Clears recorded requests and `fail_count` counters. */
  reset(): void;
  /** Stops listening and destroys open sockets (hanging responses included). */
  close(): Promise<void>;
  waitFor(predicate: (record: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
}

const missingKeyMessage =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

function bearerKey(header: string | undefined): string | null {
  if (header === undefined || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ')
    return null;
  const key = header.slice(7).trim();
  return key === '' ? null : key;
}

/** Reads the body; resolves null when it exceeds `limit` (after answering 413). */
function readBody(request: IncomingMessage, response: ServerResponse, limit: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        response.setHeader('connection', 'close');
        sendOpenAiError(response, 413, { message: `Request body larger than ${limit} bytes.` });
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!tooLarge) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    request.on('error', () => resolve(null));
    request.on('close', () => resolve(null));
  });
}

export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const recorder = new RequestRecorder(options.maxRecorded ?? 10_000);
  const counters = new FailureCounters();

  const resetState = (): void => {
    recorder.reset();
    counters.reset();
  };

  const handleAdmin = (request: IncomingMessage, response: ServerResponse, path: string): void => {
    if (path === '/__mock/requests' && request.method === 'GET') {
      sendJson(response, 200, JSON.stringify(recorder.requests));
    } else if (path === '/__mock/reset' && request.method === 'POST') {
      resetState();
      sendJson(response, 200, '{"ok":true}');
    } else if (path === '/__mock/health' && request.method === 'GET') {
      sendJson(response, 200, '{"ok":true}');
    } else {
      sendOpenAiError(response, 404, { message: `Invalid URL (${request.method} ${path})`, code: null });
    }
  };

  const handleRequest = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = request.url ?? '/';
    const queryIndex = url.indexOf('?');
    const path = queryIndex === -1 ? url : url.slice(0, queryIndex);
    if (path.startsWith('/__mock/')) {
      handleAdmin(request, response, path);
      return;
    }

    const seq = recorder.takeSeq();
    const session = createSession(response, `req_mock${seq}`);
    let record: RecordedRequest | null = null;
    response.on('close', () => {
      closeSession(session);
      if (record === null) return;
      record.closedAt = Date.now();
      if (response.headersSent) record.status = response.statusCode;
      if (response.writableFinished) record.completed = true;
      else if (!session.destroyedByMock) record.aborted = true;
      recorder.notify(record);
    });

    const method = request.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const rawBody = hasBody ? await readBody(request, response, maxBodyBytes) : null;
    if (hasBody && rawBody === null) return;
    let body: unknown = null;
    let invalidJson = false;
    if (rawBody !== null && rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        invalidJson = true;
      }
    }

    const { route, pathControls } = splitPath(path);
    const isChat = route === '/v1/chat/completions' && method === 'POST';
    const controls = isChat
      ? collectControls(
          pathControls,
          request.headers['x-mock-control'],
          (body as { messages?: unknown } | null)?.messages,
        )
      : null;
    const authorization = bearerKey(request.headers.authorization);
    const failure =
      controls === null || invalidJson || authorization === null ? null : counters.decide(controls);
    record = {
      seq,
      method,
      path,
      headers: request.headers,
      authorization,
      body,
      controls,
      failure,
      receivedAt: Date.now(),
      aborted: false,
      completed: false,
    };
    recorder.add(record);
    const requestId = session.requestId;

    const isModels = route === '/v1/models' || route.startsWith('/v1/models/');
    if (!isChat && !(isModels && method === 'GET')) {
      sendOpenAiError(response, 404, { message: `Invalid URL (${method} ${path})`, code: null, requestId });
    } else if (authorization === null) {
      sendOpenAiError(response, 401, { message: missingKeyMessage, code: 'invalid_api_key', requestId });
    } else if (invalidJson) {
      sendOpenAiError(response, 400, {
        message: 'We could not parse the JSON body of your request.',
        requestId,
      });
    } else if (isModels) {
      sendModels(response, route, requestId);
    } else {
      handleChatCompletion({ session, body, controls: controls!, failure, seq });
    }
  };

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendOpenAiError(response, 500, { message: `Mock provider bug: ${String(error)}` });
      } else {
        response.destroy();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  server.maxRequestsPerSocket = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: recorder.requests,
    reset: resetState,
    waitFor: (predicate, timeoutMs) => recorder.waitFor(predicate, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
