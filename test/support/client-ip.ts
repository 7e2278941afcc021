// A fresh client address per call (tests run with TRUST_PROXY, so X-Forwarded-For is the
// client IP): the per-IP web throttles never mix up requests of different tests.
let counter = 0;

export function freshClientIp(): string {
  counter += 1;
  return `10.${70 + ((counter >> 16) & 15)}.${(counter >> 8) & 255}.${counter & 255}`;
}
