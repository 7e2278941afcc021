// Input bounds that fit the MySQL columns: row ids (INT UNSIGNED), point amounts (DECIMAL(24,6)),
// TEXT values (65535 bytes, checked as UTF-8 or as the JSON stored there) and zod helpers for them.
import { z } from 'zod';

/** Largest id of an INT UNSIGNED AUTO_INCREMENT column. */
export const MAX_ROW_ID = 4_294_967_295;
/** Largest signed INT. */
export const MAX_INT = 2_147_483_647;
/** Largest balance or balance change in points: DECIMAL(24,6) holds |value| < 1e18. */
export const MAX_POINTS = 1e15;
/** Largest price in points (per 1k tokens or per request). */
export const MAX_PRICE = 1e9;
/** Bytes in a TEXT column. */
export const TEXT_BYTES = 65_535;

export const rowId = z.number().int().min(1).max(MAX_ROW_ID);

/** UTF-8 bytes of a string as mysql2 sends it (a lone surrogate becomes 3 bytes). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A string that fits a TEXT column (at most `maxBytes` UTF-8 bytes). */
export function textString(maxBytes = TEXT_BYTES) {
  // The character cap first: a UTF-16 unit is at least one byte, so it never refuses a fitting value.
  return z
    .string()
    .max(maxBytes)
    .refine((text) => utf8Bytes(text) <= maxBytes, `must be at most ${maxBytes} bytes`);
}

/** Whether `value`, stored as JSON text, fits `maxBytes`. */
export function fitsAsJson(value: unknown, maxBytes = TEXT_BYTES): boolean {
  return utf8Bytes(JSON.stringify(value) ?? '') <= maxBytes;
}

/** A list of model names stored as JSON in a TEXT column. */
export function modelList(maxItems = 1000) {
  return z
    .array(z.string().trim().min(1).max(255))
    .max(maxItems)
    .refine((models) => fitsAsJson(models), `must be at most ${TEXT_BYTES} bytes as JSON`);
}
