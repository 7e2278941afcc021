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
