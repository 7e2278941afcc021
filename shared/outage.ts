// Recognises "a dependency is unreachable" (MySQL or Redis down, restarting or refusing
// connections) among thrown errors, so callers answer 503 with Retry-After instead of 500.

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
]);

const OUTAGE_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Connection lost',
  'Timeout acquiring a connection',
  "Can't add new command when connection is in closed state",
];

/** True for errors that mean MySQL or Redis could not be reached (now), not a bad request. */
export function isOutage(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { name, code, message, fatal } = error as {
    name?: string;
    code?: string;
    message?: string;
    fatal?: boolean;
  };
  if (name === 'KnexTimeoutError' || name === 'MaxRetriesPerRequestError') return true;
  if (code && CONNECTION_CODES.has(code)) return true;
  // mysql2 marks errors that killed the connection as fatal.
  if (fatal === true) return true;
  return typeof message === 'string' && OUTAGE_MESSAGES.some((text) => message.includes(text));
}

/** Seconds a client should wait before retrying during an outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 2;
