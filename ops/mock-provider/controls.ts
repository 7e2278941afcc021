// Mock provider controls: parse and merge the knobs that steer one mock response.
// Sources, later wins: path prefix `/mock/<query>/v1/...`, `x-mock-control` header, `[[mock ...]]` in the last user message.

export type MockStage = 'before' | 'mid';

export interface MockControls {
  /** Number of content deltas (or tool argument pieces). */
  chunks: number;
  /** Milliseconds between chunks. */
  delay: number;
  /** Milliseconds before the first token (stream) or before the response (JSON and errors). */
  first: number;
  /** Word to repeat in every chunk; null means `w0 w1 w2 ...`. */
  text: string | null;
  /** HTTP status to fail with. */
  fail: number | null;
  /** Only the first N requests seen with `key` get the failure. */
  failCount: number | null;
  key: string;
  /** Seconds, may be fractional; sent as `retry-after` (and `retry-after-ms`). */
  retryAfter: number | null;
  reset: MockStage | null;
  garbage: 'mid' | null;
  hang: MockStage | null;
  /** Content chunks sent before a `mid` failure (`reset_after`, alias `after`). */
  failAfter: number;
  /** true forces a tool call, false forbids it, null decides from the request. */
  tools: boolean | null;
  toolCount: number;
  reasoning: number;
  finish: string | null;
}

export type RawControls = Record<string, string>;

export const defaultControls: Readonly<MockControls> = Object.freeze({
  chunks: 5,
  delay: 0,
  first: 0,
  text: null,
  fail: null,
  failCount: null,
  key: '',
  retryAfter: null,
  reset: null,
  garbage: null,
  hang: null,
  failAfter: 2,
  tools: null,
  toolCount: 1,
  reasoning: 0,
  finish: null,
});

const directivePattern = /\[\[mock\s+([^\]]*)\]\]/;
const separatorPattern = /[&;\s]+/;

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Parses `a=1&b=2` (also `;` and whitespace separated) into `into`. */
export function parseControlString(text: string, into: RawControls): RawControls {
  for (const pair of text.split(separatorPattern)) {
    if (pair === '') continue;
    const equalsIndex = pair.indexOf('=');
    const key = decode(equalsIndex === -1 ? pair : pair.slice(0, equalsIndex)).trim();
    if (key === '') continue;
    into[key] = equalsIndex === -1 ? '1' : decode(pair.slice(equalsIndex + 1));
  }
  return into;
}

/** Splits `/anything/mock/<query>/v1/chat/completions` into the route (`/v1/...`) and the mock query. */
export function splitPath(path: string): { route: string; pathControls: string | null } {
  const versionIndex = path.indexOf('/v1/');
  if (versionIndex <= 0) return { route: path, pathControls: null };
  const prefix = path.slice(0, versionIndex);
  const mockIndex = prefix.indexOf('/mock/');
  if (mockIndex === -1) return { route: path.slice(versionIndex), pathControls: null };
  const segmentEnd = prefix.indexOf('/', mockIndex + 6);
  const segment = prefix.slice(mockIndex + 6, segmentEnd === -1 ? undefined : segmentEnd);
  return { route: path.slice(versionIndex), pathControls: decode(segment) };
}

/** Text of a message content: a string, or the text parts of an array joined by spaces. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
      text += text === '' ? (part as { text: string }).text : ` ${(part as { text: string }).text}`;
    }
  }
  return text;
}

/** Text of the last message whose role is `user` (string content or text parts). */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as { role?: unknown; content?: unknown } | null;
    if (message && message.role === 'user') return messageText(message.content);
  }
  return '';
}

function toNumber(value: string | undefined, minimum: number, maximum: number, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number)) return fallback;
  return Math.min(maximum, Math.max(minimum, number));
}

function toInteger(value: string | undefined, minimum: number, maximum: number, fallback: number): number {
  return Math.floor(toNumber(value, minimum, maximum, fallback));
}

function toStage(value: string | undefined): MockStage | null {
  if (value === 'before' || value === 'mid') return value;
  if (value === '1' || value === 'true') return 'before';
  return null;
}

function toFlag(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  return !(value === '0' || value === 'false' || value === 'no' || value === 'off');
}

/** Turns merged raw key=value pairs into typed controls. */
export function resolveControls(raw: RawControls): MockControls {
  const fail = raw.fail === undefined ? null : toInteger(raw.fail, 0, 599, 0);
  const failCount = raw.fail_count === undefined ? null : toInteger(raw.fail_count, 0, 1e9, 0);
  return {
    chunks: toInteger(raw.chunks, 0, 100_000, defaultControls.chunks),
    delay: toNumber(raw.delay, 0, 3_600_000, 0),
    first: toNumber(raw.first, 0, 3_600_000, 0),
    text: raw.text === undefined || raw.text === '' ? null : raw.text,
    fail: fail !== null && fail >= 400 ? fail : null,
    failCount,
    key: raw.key ?? '',
    retryAfter: raw.retry_after === undefined ? null : toNumber(raw.retry_after, 0, 86_400, 0),
    reset: toStage(raw.reset),
    garbage: raw.garbage === undefined ? null : 'mid',
    hang: toStage(raw.hang),
    failAfter: toInteger(raw.reset_after ?? raw.after, 0, 100_000, defaultControls.failAfter),
    tools: toFlag(raw.tools),
    toolCount: toInteger(raw.tool_count, 1, 16, 1),
    reasoning: toInteger(raw.reasoning, 0, 100_000, 0),
    finish: raw.finish === undefined || raw.finish === '' ? null : raw.finish,
  };
}

/** Merges the three control sources; returns the shared frozen defaults when none is present. */
export function collectControls(
  pathControls: string | null,
  headerControls: string | string[] | undefined,
  messages: unknown,
): MockControls {
  let raw: RawControls | null = null;
  if (pathControls) raw = parseControlString(pathControls, {});
  if (headerControls !== undefined) {
    const header = Array.isArray(headerControls) ? headerControls.join('&') : headerControls;
    if (header !== '') raw = parseControlString(header, raw ?? {});
  }
  const lastText = lastUserText(messages);
  if (lastText.includes('[[mock')) {
    const match = directivePattern.exec(lastText);
    if (match) raw = parseControlString(match[1], raw ?? {});
  }
  return raw === null ? defaultControls : resolveControls(raw);
}
