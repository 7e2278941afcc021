// The one money type: integer micro-points (BigInt) from pricing to the ledger. Conversions
// happen at the edges only: DECIMAL(24,6) strings at the SQL boundary, decimal strings in
// JSON (job data, relay events), numbers of points for display (the `quota` field).

/** Integer micro-points: 1 point = 1,000,000. */
export type Micros = bigint;

export const MICRO_PER_POINT = 1_000_000n;

/** An exact decimal (string, or a number with at most 6 decimals) as micro-points; rounds half up. */
export function toMicro(value: string | number): Micros {
  const text = typeof value === 'number' ? value.toFixed(6) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) throw new Error(`not a decimal number: ${value}`);
  const digits = (match[3] ?? '').padEnd(7, '0');
  let micro = BigInt(match[2]) * MICRO_PER_POINT + BigInt(digits.slice(0, 6));
  if (Number(digits[6]) >= 5) micro += 1n;
  return match[1] === '-' ? -micro : micro;
}

/** Micro-points as a decimal string with 6 places, e.g. 1500000n -> '1.500000' (SQL and JSON). */
export function formatMicro(micro: Micros): string {
  const sign = micro < 0n ? '-' : '';
  const abs = micro < 0n ? -micro : micro;
  return `${sign}${abs / MICRO_PER_POINT}.${(abs % MICRO_PER_POINT).toString().padStart(6, '0')}`;
}

/** Points as a number, for display only (exact for any amount a person would see). */
export function microToPoints(micro: Micros): number {
  return Number(formatMicro(micro));
}

/** a / b rounded half up, for non-negative a and positive b. */
export function divideRounded(a: Micros, b: Micros): Micros {
  return (a + b / 2n) / b;
}

export function minMicro(a: Micros, b: Micros): Micros {
  return a < b ? a : b;
}

export function maxMicro(a: Micros, b: Micros): Micros {
  return a > b ? a : b;
}
