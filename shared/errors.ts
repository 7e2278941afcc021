// One error family for the whole gateway: status, type, code, param and a retryable flag,
// rendered as the OpenAI body {error:{message,type,param,code}} on HTTP, SSE and WebSocket.

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface GatewayErrorInit {
  status: number;
  type: string;
  code?: string | null;
  param?: string | null;
  retryable?: boolean;
  /** Response headers that belong to this answer (Retry-After, x-ratelimit-*). */
  headers?: Record<string, string>;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly headers: Record<string, string> | undefined;

  constructor(message: string, init: GatewayErrorInit) {
    super(message);
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.retryable = init.retryable ?? false;
    this.headers = init.headers;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  /** A plain object that survives JSON (relay events carry errors between processes). */
  toJSON(): SerializedError {
    return {
      message: this.message,
      status: this.status,
      type: this.type,
      code: this.code,
      param: this.param,
      retryable: this.retryable,
    };
  }

  static fromJSON(data: SerializedError): GatewayError {
    return new GatewayError(data.message, data);
  }
}

export interface SerializedError {
  message: string;
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  /** Survives the trip through the relay, so every process knows whether a retry may help. */
  retryable?: boolean;
}

export const errors = {
  invalidRequest: (message: string, param: string | null = null, code: string | null = null) =>
    new GatewayError(message, { status: 400, type: 'invalid_request_error', param, code }),
  invalidApiKey: () =>
    new GatewayError('Incorrect API key provided.', {
      status: 401,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    }),
  unauthorized: (message = 'Authentication required.') =>
    new GatewayError(message, { status: 401, type: 'invalid_request_error', code: 'unauthorized' }),
  forbidden: (message: string, code = 'forbidden') =>
    new GatewayError(message, { status: 403, type: 'invalid_request_error', code }),
  modelNotFound: (model: string) =>
    new GatewayError(`The model \`${model}\` does not exist or you do not have access to it.`, {
      status: 404,
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    }),
  notFound: (message = 'Not found.') =>
    new GatewayError(message, { status: 404, type: 'invalid_request_error', code: 'not_found' }),
  payloadTooLarge: () =>
    new GatewayError('Request body is too large.', {
      status: 413,
      type: 'invalid_request_error',
      code: 'request_too_large',
    }),
  noChannel: (model: string) =>
    new GatewayError(`No upstream channel is available for model \`${model}\` right now.`, {
      status: 503,
      type: 'server_error',
      code: 'no_available_channel',
      retryable: true,
    }),
  allChannelsFailed: (detail: string) =>
    new GatewayError(`All upstream channels failed: ${detail}`, {
      status: 502,
      type: 'upstream_error',
      code: 'upstream_failed',
      retryable: true,
    }),
  upstreamTimeout: () =>
    new GatewayError('The upstream provider did not respond in time.', {
      status: 504,
      type: 'upstream_error',
      code: 'upstream_timeout',
      retryable: true,
    }),
  relayLost: () =>
    new GatewayError('The request was lost by the worker pool; please retry.', {
      status: 502,
      type: 'server_error',
      code: 'worker_lost',
      retryable: true,
    }),
  overloaded: () =>
    new GatewayError('The service is shutting down or overloaded; please retry.', {
      status: 503,
      type: 'server_error',
      code: 'service_unavailable',
      retryable: true,
    }),
  /** MySQL or Redis is unreachable: a 503 the client should retry (Retry-After is set). */
  dependencyUnavailable: () =>
    new GatewayError('The service is temporarily unavailable; please retry shortly.', {
      status: 503,
      type: 'server_error',
      code: 'service_unavailable',
      retryable: true,
    }),
  internal: () =>
    new GatewayError('Internal server error.', { status: 500, type: 'server_error', code: 'internal_error' }),
};

/** Any thrown value as a GatewayError; unknown errors become a 500 that reveals nothing. */
export function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return errors.internal();
}
