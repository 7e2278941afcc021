// JSON bodies with bounded work: the size limit applies to the inflated bytes, nesting is
// measured on the raw text before JSON.parse runs (a deep body is refused in one linear
// scan instead of being parsed), `__proto__` keys are refused. Junk is a clear 400, too big 413.
import bourne from '@hapi/bourne';
import coBody from 'co-body';
import type { Middleware } from 'koa';
import { errors } from '../../shared/errors.js';
import { isUnder } from './canonical-path.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body ({} when there was none); validate it before use. */
    body?: unknown;
  }
}

/** Deeper than any real request (OpenAI JSON schemas included); far below what could hurt. */
export const MAX_JSON_DEPTH = 64;

const PARSED_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** True when the JSON text nests objects or arrays deeper than `max` (strings are skipped). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > max) return true;
    } else if (code === 0x7d || code === 0x5d) depth -= 1;
  }
  return false;
}

function unparseable(): never {
  throw errors.invalidRequest(
    'We could not parse the JSON body of your request. Send valid JSON with Content-Type: application/json.',
  );
}

/** Strict JSON bodies: an object or an array after optional whitespace (RFC 8259). */
function startsObjectOrArray(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '{' || char === '[') return true;
    if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') return false;
  }
  return false;
}

export function parseJsonText(text: string): unknown {
  if (!text) return {};
  if (!startsObjectOrArray(text)) unparseable();
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw errors.invalidRequest(
      `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`,
      null,
      'json_too_deep',
    );
  }
  try {
    return bourne.parse(text, { protoAction: 'error' });
  } catch {
    return unparseable();
  }
}

export function jsonBody(limit: string): Middleware {
  return async function jsonBodyMiddleware(ctx, next) {
    // Multipart uploads (video references) are read by their own route.
    if (!PARSED_METHODS.has(ctx.method) || ctx.is('multipart/form-data')) return next();
    const relayOrAdmin = isUnder(ctx.path, '/v1') || isUnder(ctx.path, '/admin');
    if (!relayOrAdmin && !ctx.is('application/json', 'application/*+json')) {
      ctx.request.body = {};
      return next();
    }
    let text: string;
    try {
      text = await coBody.text(ctx, { limit, encoding: 'utf8' });
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 413) throw errors.payloadTooLarge();
      if (status === 415) throw errors.invalidRequest('The request body encoding is not supported.');
      return unparseable();
    }
    ctx.request.body = parseJsonText(text);
    await next();
  };
}
