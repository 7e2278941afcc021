// Upstream failures, classified so failover can decide: stop, wait and retry, retry, or
// move on. Messages never carry an upstream host, endpoint or secret.

export type UpstreamErrorKind =
  /** The request itself is bad (400, 413, 422...): stop and tell the client. */
  | 'client'
  /** 429: wait (Retry-After or 500 ms) and retry, bounded, then move on. */
  | 'rate_limit'
  /** 401/403/404 from the upstream: this channel is misconfigured; move on. */
  | 'auth'
  /** 5xx: retry the same channel up to its retry count, then move on. */
  | 'server'
  /** Connection refused/reset, broken or garbled stream: retry, then move on. */
  | 'network'
  /** No first token in time, or the whole call ran past its deadline: retry, then move on. */
  | 'timeout';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(scrub(message));
    this.name = 'UpstreamError';
  }

  /** Worth trying again (this channel or another): everything but a bad request. */
  get retryable(): boolean {
    return this.kind !== 'client';
  }
}

/** Thrown when the client (or shutdown) cancelled the request: not a channel failure. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export function classifyStatus(status: number): UpstreamErrorKind {
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403 || status === 404) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'client';
}

/** Removes URLs, host:port pairs and key-like tokens from a message shown to users. */
export function scrub(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, '[upstream]')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '[upstream]')
    .replace(/\b[\w-]+(?:\.[\w-]+)+:\d{2,5}\b/g, '[upstream]')
    .replace(/\blocalhost(?::\d+)?\b/gi, '[upstream]')
    .replace(/\bbearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, '[secret]')
    .replace(/\b(?:sk|pk|key|api|bearer)[-_][A-Za-z0-9_-]{8,}/gi, '[secret]')
    .slice(0, 1000);
}

export function parseRetryAfter(headers: Record<string, string | string[] | undefined>): number | null {
  const first = (name: string) => {
    const raw = headers[name];
    return (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  };
  const msText = first('retry-after-ms');
  const ms = Number(msText);
  if (msText && Number.isFinite(ms) && ms >= 0) return ms;
  const value = first('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(seconds * 1000, 0);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(date - Date.now(), 0) : null;
}
