// One canonical request path for every decision (routing, admin guard, throttles, CORS,
// error shape, Bull Board): percent-encoded unreserved characters decoded, dot segments
// resolved, duplicate and trailing slashes removed, the front end's `/api` prefix dropped.
// Prefix decisions compare case-insensitively, as the router matches.
import type { Middleware } from 'koa';
import { errors } from '../../shared/errors.js';

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Decodes %XX of unreserved characters (RFC 3986 6.2.2.2); null for a malformed escape or a control character. */
function decodeUnreserved(path: string): string | null {
  let invalid = false;
  const decoded = path.replace(/%(..)?/g, (match, hex: string | undefined) => {
    if (!hex || !/^[0-9A-Fa-f]{2}$/.test(hex)) {
      invalid = true;
      return match;
    }
    const code = Number.parseInt(hex, 16);
    if (code < 0x20 || code === 0x7f) invalid = true;
    const char = String.fromCharCode(code);
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  // Raw control characters never get this far: Node's HTTP parser refuses them.
  return invalid ? null : decoded;
}

/** RFC 3986 5.2.4 on an absolute path, after collapsing duplicate slashes. */
function resolveSegments(path: string): string {
  const output: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') output.pop();
    else output.push(segment);
  }
  return `/${output.join('/')}`;
}

/** The canonical form of a raw request path, or null when it cannot be one (bad escapes, NUL). */
export function canonicalPath(raw: string): string | null {
  const decoded = decodeUnreserved(raw);
  if (decoded === null) return null;
  let path = resolveSegments(decoded);
  if (isUnder(path, '/api')) path = path.length === 4 ? '/' : path.slice(4);
  return path;
}

/** True when `path` is `prefix` or below it, ignoring case (the router ignores case too). */
export function isUnder(path: string, prefix: string): boolean {
  if (path.length < prefix.length) return false;
  const head = path.slice(0, prefix.length).toLowerCase();
  return head === prefix.toLowerCase() && (path.length === prefix.length || path[prefix.length] === '/');
}

/** Rewrites ctx.path to its canonical form before anything else looks at it. */
export function canonicalizePath(): Middleware {
  return async function canonicalPathMiddleware(ctx, next) {
    // Remembered: a request under /api never falls back to the front end's page.
    if (isUnder(ctx.path, '/api')) ctx.state.apiPrefixed = true;
    const canonical = canonicalPath(ctx.path);
    if (canonical === null)
      throw errors.invalidRequest('The request path is malformed.', null, 'invalid_path');
    if (canonical !== ctx.path) ctx.path = canonical;
    await next();
  };
}
