// OpenAI error mapping: an HTTP error response becomes a classified UpstreamError whose
// message is the upstream's own (scrubbed of hosts and secrets).
import { classifyStatus, parseRetryAfter, UpstreamError } from '../upstream-error.js';

export function errorFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
): UpstreamError {
  let message = `upstream answered HTTP ${status}`;
  try {
    const parsed = JSON.parse(bodyText) as { error?: { message?: unknown } | string; message?: unknown };
    const detail =
      typeof parsed.error === 'string'
        ? parsed.error
        : (parsed.error?.message ?? parsed.message ?? undefined);
    if (typeof detail === 'string' && detail) message = detail;
  } catch {
    // Not JSON (an HTML error page from a proxy, say): keep the generic message.
  }
  return new UpstreamError(classifyStatus(status), message, status, parseRetryAfter(headers));
}

/** An `{"error": ...}` object inside an SSE stream. */
export function errorFromStreamPayload(payload: { error?: unknown }): UpstreamError {
  const error = payload.error as { message?: unknown; code?: unknown } | string | undefined;
  const message = typeof error === 'string' ? error : String(error?.message ?? 'upstream stream error');
  return new UpstreamError('server', message);
}
