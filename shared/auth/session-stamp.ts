// The `stamp` claim that ties a JWT to the credentials it was issued for: the first 16 hex
// of sha256(password hash + ':' + token column). A new password (new salt) changes it.
import { createHash, timingSafeEqual } from 'node:crypto';

export function sessionStamp(passwordHash: string, token: string): string {
  return createHash('sha256').update(`${passwordHash}:${token}`).digest('hex').slice(0, 16);
}

/** Constant-time comparison of two stamps (or any two short secrets). */
export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
