// CORS (Chat Nio rules): ALLOW_ORIGINS empty reflects any origin; otherwise only the listed
// hosts. /v1 and /dashboard are always open.
import cors from '@koa/cors';
import type { Middleware } from 'koa';
import { isUnder } from './canonical-path.js';

/** The ALLOW_ORIGINS list: origins or bare hosts; empty allows any origin. */
export function allowedOrigins(allowOrigins: string): Set<string> {
  return new Set(
    allowOrigins
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  );
}

/** True when `origin` may call (an empty list allows any; a missing origin is not a browser). */
export function originAllowed(origin: string, allowed: Set<string>): boolean {
  if (!origin || allowed.size === 0) return true;
  try {
    return allowed.has(origin) || allowed.has(new URL(origin).host);
  } catch {
    return false;
  }
}

export function corsPolicy(allowOrigins: string): Middleware {
  const allowed = allowedOrigins(allowOrigins);
  return cors({
    credentials: true,
    exposeHeaders: [
      'x-request-id',
      'retry-after',
      'x-ratelimit-limit-requests',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-reset-requests',
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-tokens',
      'x-output-tokens-capped',
    ],
    origin(ctx) {
      const origin = ctx.get('origin');
      if (!origin) return '';
      if (isUnder(ctx.path, '/v1') || isUnder(ctx.path, '/dashboard')) return origin;
      return originAllowed(origin, allowed) ? origin : '';
    },
  });
}
