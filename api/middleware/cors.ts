// CORS (Chat Nio rules): ALLOW_ORIGINS empty reflects any origin; otherwise only the listed
// hosts. /v1 and /dashboard are always open.
import cors from '@koa/cors';
import type { Middleware } from 'koa';
import { isUnder } from './canonical-path.js';

export function corsPolicy(allowOrigins: string): Middleware {
  const allowed = new Set(
    allowOrigins
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  );
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
      if (allowed.size === 0 || isUnder(ctx.path, '/v1') || isUnder(ctx.path, '/dashboard')) return origin;
      try {
        if (allowed.has(origin) || allowed.has(new URL(origin).host)) return origin;
      } catch {
        // not a URL: refuse
      }
      return '';
    },
  });
}
