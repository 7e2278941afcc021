// Mock provider failures: OpenAI-shaped error bodies and responses, and the per-key `fail_count` counters
// that decide whether a request gets its injected failure (fail / reset / garbage / hang).
import type { ServerResponse } from 'node:http';
import type { MockControls } from './controls.js';
import { sendJson } from './json-response.js';

export interface OpenAiErrorOptions {
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  retryAfter?: number | null;
  requestId?: string;
}

/** Frame sent by `garbage=mid`: an SSE data line that is not JSON. */
export const garbageFrame = 'data: {not json!!\n\n';

const defaultsByStatus: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Mock bad request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided (mock).',
  },
  403: { type: 'permission_error', code: 'permission_denied', message: 'Mock permission denied.' },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model does not exist (mock).',
  },
  408: { type: 'timeout_error', code: 'timeout', message: 'Mock request timed out.' },
  413: { type: 'invalid_request_error', code: 'request_too_large', message: 'Request body too large.' },
  429: { type: 'rate_limit_exceeded', code: 'rate_limit_exceeded', message: 'Rate limit reached (mock).' },
  500: {
    type: 'server_error',
    code: null,
    message: 'The server had an error processing your request (mock).',
  },
  502: { type: 'server_error', code: 'bad_gateway', message: 'Bad gateway (mock).' },
  503: {
    type: 'server_error',
    code: 'service_unavailable',
    message: 'The engine is currently overloaded (mock).',
  },
};

function defaultsFor(status: number): { type: string; code: string | null; message: string } {
  const known = defaultsByStatus[status];
  if (known) return known;
  if (status >= 500) return { type: 'server_error', code: null, message: `Mock server error ${status}.` };
  return { type: 'invalid_request_error', code: null, message: `Mock error ${status}.` };
}

/** JSON text of `{error:{message,type,param,code}}` for a status. */
export function openAiErrorBody(status: number, options: OpenAiErrorOptions = {}): string {
  const defaults = defaultsFor(status);
  return JSON.stringify({
    error: {
      message: options.message ?? defaults.message,
      type: options.type ?? defaults.type,
      param: options.param ?? null,
      code: options.code === undefined ? defaults.code : options.code,
    },
  });
}

/** Sends an OpenAI-shaped error; `retryAfter` (seconds) adds `retry-after` and, when fractional, `retry-after-ms`. */
export function sendOpenAiError(
  response: ServerResponse,
  status: number,
  options: OpenAiErrorOptions = {},
): void {
  const body = openAiErrorBody(status, options);
  const headers: Record<string, string> = {};
  if (options.requestId) headers['x-request-id'] = options.requestId;
  if (options.retryAfter !== undefined && options.retryAfter !== null) {
    headers['retry-after'] = String(options.retryAfter);
    if (!Number.isInteger(options.retryAfter)) {
      headers['retry-after-ms'] = String(Math.round(options.retryAfter * 1000));
    }
  }
  sendJson(response, status, body, headers);
}

/** Short label of the failure the controls ask for, or null. */
export function describeFailure(controls: MockControls): string | null {
  if (controls.fail !== null) return `fail=${controls.fail}`;
  if (controls.reset !== null) return `reset=${controls.reset}`;
  if (controls.hang !== null) return `hang=${controls.hang}`;
  if (controls.garbage !== null) return 'garbage=mid';
  return null;
}

/** Counts requests per `key` so `fail_count=N` fails only the first N of them. */
export class FailureCounters {
  private readonly seenByKey = new Map<string, number>();

  /** Returns the failure label to apply to this request, or null when it should succeed. */
  decide(controls: MockControls): string | null {
    const failure = describeFailure(controls);
    if (failure === null || controls.failCount === null) return failure;
    const seen = this.seenByKey.get(controls.key) ?? 0;
    this.seenByKey.set(controls.key, seen + 1);
    return seen < controls.failCount ? failure : null;
  }

  reset(): void {
    this.seenByKey.clear();
  }
}
