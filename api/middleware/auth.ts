// Identity: `Authorization: [Bearer ]sk-...` is an API key (a bad one is 401); anything
// else is a JWT (a bad one means anonymous). requireUser/requireAdmin guard routes; the
// Bull Board guard reads the session cookie that /login sets for /admin/queues only.
import type { Middleware } from 'koa';
import { secretsEqual } from '../../shared/auth/session-stamp.js';
import { errors } from '../../shared/errors.js';
import type { Identity } from '../auth/identity-cache.js';
import { verifyToken } from '../auth/jwt.js';
import type { ApiContext } from '../context.js';
import { badKeyGuard } from './throttle.js';

export const SESSION_COOKIE = 'chatnio_session';

export function readCredential(header: string | undefined): string {
  if (!header) return '';
  return header.replace(/^Bearer\s+/i, '').trim();
}

export async function identityFromToken(context: ApiContext, token: string): Promise<Identity | null> {
  const claims = verifyToken(token, context.jwtSecret);
  if (!claims) return null;
  const identity = await context.identities.byUserId(claims.id);
  if (!identity || identity.isBanned) return null;
  // A token issued before a password change (or for other credentials) is anonymous.
  return secretsEqual(identity.stamp, claims.stamp) ? identity : null;
}

/** Chat Nio's WebSocket handshake token: an `sk-` key or a JWT; anything else (or a bad one) is anonymous. */
export async function identityFromCredential(
  context: ApiContext,
  credential: string,
): Promise<Identity | null> {
  const token = readCredential(credential);
  if (!token) return null;
  if (!token.startsWith('sk-')) return identityFromToken(context, token);
  const identity = context.identities.cachedApiKey(token) ?? (await context.identities.byApiKey(token));
  return identity && !identity.isBanned ? identity : null;
}

export function authenticate(context: ApiContext): Middleware {
  const badKeys = badKeyGuard(context);
  return async function authenticateMiddleware(ctx, next) {
    const credential = readCredential(ctx.get('authorization'));
    let identity: Identity | null = null;
    if (credential.startsWith('sk-')) {
      // A key known to be valid skips the block check; any other key is checked before the lookup.
      identity = context.identities.cachedApiKey(credential);
      if (identity ? badKeys.refuseIfKnownBlocked(ctx) : await badKeys.refuseIfBlocked(ctx)) return;
      identity ??= await context.identities.byApiKey(credential);
      if (!identity) {
        await badKeys.countBadKey(ctx);
        throw errors.invalidApiKey();
      }
      if (identity.isBanned) throw errors.forbidden('This account is banned.', 'account_banned');
    } else if (credential) {
      identity = await identityFromToken(context, credential);
    }
    ctx.state.identity = identity;
    await next();
  };
}

export function requireUser(): Middleware {
  return async function requireUserMiddleware(ctx, next) {
    if (!ctx.state.identity) throw errors.unauthorized();
    await next();
  };
}

export function requireAdmin(): Middleware {
  return async function requireAdminMiddleware(ctx, next) {
    const identity: Identity | null = ctx.state.identity;
    if (!identity) throw errors.unauthorized();
    if (!identity.isAdmin) throw errors.forbidden('Administrator access is required.');
    await next();
  };
}

/** Bull Board: an admin's session cookie (or Authorization header) is required. */
export function requireAdminCookie(context: ApiContext): Middleware {
  return async function adminCookieMiddleware(ctx, next) {
    const token = ctx.cookies.get(SESSION_COOKIE) ?? '';
    const identity = ctx.state.identity ?? (token ? await identityFromToken(context, token) : null);
    if (!identity?.isAdmin) {
      ctx.status = 401;
      if (ctx.accepts('html', 'json') === 'html') {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body =
          '<!doctype html><title>401</title><p>Administrators only. <a href="/admin/queues/login">Sign in</a></p>';
      } else {
        ctx.body = { status: false, error: 'administrator session required: sign in at /admin/queues/login' };
      }
      return;
    }
    await next();
  };
}
