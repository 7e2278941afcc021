// Single requests outside the measured runs: a smoke request that must succeed with the expected content
// (gateway up, channel reloaded with new mock controls, peer routed) and the response-cache warm-up.
import { request } from 'undici';
import type { LoadTarget } from './driver.js';
import { checkJson, checkStream } from './response-check.js';

async function sendOnce(target: LoadTarget, body: string, signal: AbortSignal) {
  return request(`${target.origin}${target.path}`, {
    method: 'POST',
    headers: target.headers,
    body,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    signal,
  });
}

/** Re-sends one streamed `body` until a reply is complete with `expected` content (at most 60 s). */
export async function smokeTest(
  target: LoadTarget,
  body: string,
  expected: string,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastProblem = '';
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const checked = await checkStream(await sendOnce(target, body, signal), expected);
      if (checked.ok) return;
      lastProblem = `${checked.errorKind}: ${checked.detail}`;
    } catch (error) {
      lastProblem = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  if (signal.aborted) return;
  throw new Error(`${target.name} smoke request never succeeded: ${lastProblem}`);
}

/**
 * Fills the response cache: one request misses and the worker stores its answer right after it
 * finished, so the same non-streamed body is re-sent until a complete answer carries `x-cache: hit`.
 */
export async function warmCache(
  target: LoadTarget,
  body: string,
  expected: string,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  const deadline = Date.now() + 10_000;
  let lastProblem = '';
  for (let attempt = 1; Date.now() < deadline && !signal.aborted; attempt++) {
    try {
      const response = await sendOnce(target, body, signal);
      const hit = response.headers['x-cache'] === 'hit';
      const checked = await checkJson(response, expected);
      if (checked.ok && hit) {
        log(`  cache warm after ${attempt} requests, ${(performance.now() - started).toFixed(0)} ms`);
        return;
      }
      lastProblem = checked.ok ? 'answer without x-cache: hit' : `${checked.errorKind}: ${checked.detail}`;
    } catch (error) {
      lastProblem = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
  throw new Error(`the response cache never answered a hit: ${lastProblem}`);
}
