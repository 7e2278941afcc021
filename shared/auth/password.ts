// Password hashing: argon2id (salted, slow). Chat Nio's legacy unsalted SHA-256 hex is
// recognised so an adopted database can log in once and be upgraded.
import { createHash, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export function isLegacyHash(stored: string): boolean {
  return /^[0-9a-f]{64}$/i.test(stored);
}

let decoy: Promise<string> | undefined;

/**
 * For a login whose user does not exist: spends the same argon2 work as a real check, so the
 * answer time does not tell whether a username exists. Always false.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashPassword('decoy-password-never-matches');
  await verifyPassword(await decoy, password);
  return false;
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (isLegacyHash(stored)) {
    const digest = createHash('sha256').update(password).digest();
    return timingSafeEqual(digest, Buffer.from(stored, 'hex'));
  }
  try {
    return await argon2.verify(stored, password);
  } catch {
    return false;
  }
}
