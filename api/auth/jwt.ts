// Web session tokens: HS256 JWTs with a 30-day expiry (Chat Nio's format) plus a `stamp` claim
// (shared/auth/session-stamp.ts) that stops them at once when the password changes.
import jwt from 'jsonwebtoken';

export interface TokenClaims {
  id: number;
  username: string;
  stamp: string;
}

export const TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export function signToken(claims: TokenClaims, secret: string): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: TOKEN_TTL_SECONDS });
}

/** The claims of a valid token, or null for anything else (a bad JWT means anonymous). */
export function verifyToken(token: string, secret: string): TokenClaims | null {
  try {
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
    if (typeof claims !== 'object' || typeof claims.id !== 'number') return null;
    // Tokens without a stamp (issued before stamps existed) are refused: log in again.
    if (typeof claims.stamp !== 'string' || claims.stamp === '') return null;
    return { id: claims.id, username: String(claims.username), stamp: claims.stamp };
  } catch {
    return null;
  }
}
