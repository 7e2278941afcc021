// A fresh client address per call (tests run with TRUST_PROXY, so X-Forwarded-For is the
// client IP): the per-IP web throttles never mix up requests of different tests.
let counter = 0;

export function freshClientIp(): string {
  counter += 1;
  return `10.${70 + ((counter >> 16) & 15)}.${(counter >> 8) & 255}.${counter & 255}`;
}

/** A web-route call from a fresh client IP: GET without a body, POST with one. */
export async function webRequest(
  base: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: token, 'content-type': 'application/json', 'x-forwarded-for': freshClientIp() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
