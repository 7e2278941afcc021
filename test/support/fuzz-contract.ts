// The answer contract the route fuzz test holds every response to: no 5xx, JSON in the
// route's shape (OpenAI errors under /v1, `{status, error}` envelopes elsewhere), no leaks,
// and no input that only the database refused (its validation missed a bound).
import { DB_ERROR_CODES } from '../../shared/db-errors.js';

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export interface ContractOptions {
  /** The canonical route path (e.g. /admin/channel/get/:id). */
  route: string;
  /** Successful bodies that may show channel endpoints (an admin's channel views). */
  mayShowEndpoints: boolean;
  /** Successful bodies that may show a whole channel secret (an admin's GET of one channel). */
  mayShowSecrets: boolean;
  /** Channel secrets that must never show up elsewhere. */
  secrets: readonly string[];
}

const LEAKS: readonly [RegExp, string][] = [
  [/ {4}at |\\n\s+at /, 'a stack trace'],
  [/\b(?:select|insert into|update|delete from)\s+[`*]/i, 'SQL text'],
  [/\bER_[A-Z_]{3,}|sqlMessage|sqlState/, 'a database error'],
  [/\b(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1?\]):\d{2,5}\b/, 'a host:port'],
];

const WEB_STATUSES = new Set([200, 401, 403, 413, 429]);

function openAiErrorProblem(body: unknown): string | null {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (typeof error !== 'object' || error === null) return 'no `error` object';
  if (typeof error.message !== 'string' || typeof error.type !== 'string')
    return 'error.message/type missing';
  for (const key of ['param', 'code'] as const)
    if (!(key in error) || (error[key] !== null && typeof error[key] !== 'string'))
      return `error.${key} is not a string or null`;
  return null;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function eventStreamProblem(answer: Answer): string | null {
  if (answer.status !== 200) return `event stream with status ${answer.status}`;
  for (const line of answer.text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') continue;
    const parsed = parseJson(data);
    if (!parsed.ok) return `SSE data is not JSON: ${data.slice(0, 80)}`;
    const value = parsed.value as Record<string, unknown>;
    if ('error' in value) {
      const problem = openAiErrorProblem(value);
      if (problem) return `SSE error event: ${problem}`;
    }
  }
  return null;
}

function relayProblem(answer: Answer): string | null {
  if (answer.contentType.includes('text/event-stream')) return eventStreamProblem(answer);
  const parsed = parseJson(answer.text);
  if (!parsed.ok) return 'body is not JSON';
  if (answer.status >= 200 && answer.status < 300) return null;
  if (answer.status < 400 || answer.status > 499) return `unexpected status ${answer.status}`;
  const problem = openAiErrorProblem(parsed.value);
  return problem ? `not an OpenAI error body: ${problem}` : null;
}

/** Routes whose successful answers are not `{status: boolean}` envelopes. */
function specialWebShape(route: string, body: Record<string, unknown>): boolean {
  if (route === '/health') return body.status === 'ok';
  if (route === '/ready') return body.status === 'ready';
  if (route.startsWith('/dashboard/')) return typeof body.object === 'string';
  return false;
}

function webProblem(answer: Answer, route: string): string | null {
  if (!WEB_STATUSES.has(answer.status)) return `unexpected status ${answer.status}`;
  const parsed = parseJson(answer.text);
  if (!parsed.ok) return 'body is not JSON';
  const body = parsed.value as Record<string, unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not a JSON object';
  if (typeof body.status !== 'boolean')
    return specialWebShape(route, body) ? null : 'no boolean `status` in the envelope';
  // /state answers Chat Nio's {status: false, user: '', admin: false} to anonymous callers.
  if (body.status === false && typeof body.error !== 'string' && route !== '/state')
    return 'a failed envelope without `error`';
  return null;
}

/** The error code of an OpenAI error body or a web envelope. */
function errorCode(text: string): unknown {
  const parsed = parseJson(text);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
  const body = parsed.value as { code?: unknown; error?: { code?: unknown } };
  return typeof body.error === 'object' ? body.error?.code : body.code;
}

/** Everything wrong with one answer (empty when it keeps the contract). */
export function contractProblems(answer: Answer, options: ContractOptions): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`server error ${answer.status}`);
  const relay = options.route === '/v1' || options.route.startsWith('/v1/');
  const shape = relay ? relayProblem(answer) : webProblem(answer, options.route);
  if (shape) problems.push(shape);
  const code = errorCode(answer.text);
  if ((DB_ERROR_CODES as readonly unknown[]).includes(code))
    problems.push(`refused only by the database (${code}): a bound is missing in validation`);
  const success = answer.status === 200 && !/"status":false|"error":\{/.test(answer.text.slice(0, 200));
  for (const [pattern, what] of LEAKS) {
    if (what === 'a host:port' && options.mayShowEndpoints && success) continue;
    if (pattern.test(answer.text)) problems.push(`leaks ${what}`);
  }
  if (!(options.mayShowSecrets && success))
    for (const secret of options.secrets)
      if (answer.text.includes(secret)) problems.push('leaks a channel secret');
  return problems;
}
