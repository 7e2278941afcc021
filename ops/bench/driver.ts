// Closed-loop load driver: `concurrency` virtual users (optionally started over a ramp) each send requests
// back to back through one keep-alive undici Pool with a connection per user for warm-up + duration,
// recording latency, TTFT and completeness per request (cache cells: that every answer is a hit).
import { Pool } from 'undici';
import { type CheckedResponse, checkJson, checkStream, classifyThrown } from './response-check.js';
import { type RequestSample, type RunSummary, summarize } from './stats.js';

export interface LoadTarget {
  name: string;
  /** `http://127.0.0.1:port` */
  origin: string;
  path: string;
  headers: Record<string, string>;
}

export interface LoadSettings {
  stream: boolean;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  requestTimeoutMs: number;
  body: string;
  expectedContent: string;
  /** Every response must carry `x-cache: hit`; a complete answer without it counts as `cache_miss`. */
  expectCacheHit?: boolean;
  /** Virtual user i starts i/concurrency × rampMs after the run start (desynchronizes slow streams). */
  rampMs?: number;
  /** Called when the measured window opens and closes (CPU counters are read there). */
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
  signal: AbortSignal;
}

export interface ErrorSample {
  kind: string;
  detail: string | null;
}

export interface LoadResult {
  target: string;
  summary: RunSummary;
  /** Successful requests that ended inside the measured window (the req/s numerator). */
  completedInWindow: number;
  /** Up to a few examples per error kind. */
  errorSamples: ErrorSample[];
}

const samplesPerKind = 3;

/** Sends one request and checks the response; never throws. */
async function sendOne(
  pool: Pool,
  target: LoadTarget,
  settings: LoadSettings,
): Promise<{ sentAt: number; endedAt: number; checked: CheckedResponse }> {
  const sentAt = performance.now();
  let checked: CheckedResponse;
  try {
    const response = await pool.request({
      method: 'POST',
      path: target.path,
      headers: target.headers,
      body: settings.body,
      headersTimeout: settings.requestTimeoutMs,
      bodyTimeout: settings.requestTimeoutMs,
      signal: settings.signal,
    });
    checked = settings.stream
      ? await checkStream(response, settings.expectedContent)
      : await checkJson(response, settings.expectedContent);
    const cacheHeader = response.headers['x-cache'];
    if (settings.expectCacheHit && checked.ok && cacheHeader !== 'hit') {
      checked = {
        ok: false,
        errorKind: 'cache_miss',
        detail: `x-cache: ${cacheHeader === undefined ? '(absent)' : String(cacheHeader)}`,
        firstContentAt: null,
      };
    }
  } catch (error) {
    checked = classifyThrown(error);
  }
  return { sentAt, endedAt: performance.now(), checked };
}

export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  const pool = new Pool(target.origin, {
    connections: settings.concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    // An overloaded server accepts late: connecting gets the same time as headers and body.
    connect: { timeout: settings.requestTimeoutMs },
  });
  const runStart = performance.now();
  const measureStart = runStart + settings.warmupMs;
  const measureEnd = measureStart + settings.durationMs;
  const samples: RequestSample[] = [];
  const errorSamples: ErrorSample[] = [];
  const samplesSeen: Record<string, number> = {};
  let completedInWindow = 0;

  let opened = false;
  let closed = false;
  const openWindow = (): void => {
    if (opened) return;
    opened = true;
    settings.onMeasureStart?.();
  };
  const closeWindow = (): void => {
    if (closed) return;
    openWindow();
    closed = true;
    settings.onMeasureEnd?.();
  };
  const windowTimers = [
    setTimeout(openWindow, settings.warmupMs),
    setTimeout(closeWindow, settings.warmupMs + settings.durationMs),
  ];
  const rampMs = settings.rampMs ?? 0;
  const virtualUser = async (_: unknown, index: number): Promise<void> => {
    const startAt = runStart + (rampMs * index) / settings.concurrency;
    const wait = startAt - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (!settings.signal.aborted && performance.now() < measureEnd) {
      const { sentAt, endedAt, checked } = await sendOne(pool, target, settings);
      if (checked.ok && endedAt >= measureStart && endedAt <= measureEnd) completedInWindow++;
      if (sentAt < measureStart) continue;
      samples.push({
        startedAt: sentAt - measureStart,
        latencyMs: endedAt - sentAt,
        ttftMs: checked.firstContentAt === null ? endedAt - sentAt : checked.firstContentAt - sentAt,
        ok: checked.ok,
        errorKind: checked.errorKind,
      });
      if (!checked.ok && checked.errorKind !== null) {
        const seen = samplesSeen[checked.errorKind] ?? 0;
        samplesSeen[checked.errorKind] = seen + 1;
        if (seen < samplesPerKind) errorSamples.push({ kind: checked.errorKind, detail: checked.detail });
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: settings.concurrency }, virtualUser));
  } finally {
    for (const timer of windowTimers) clearTimeout(timer);
    // Both ends are always reported, also when the run was cut short, so CPU reads stay paired.
    closeWindow();
    await pool.close().catch(() => pool.destroy());
  }
  const summary = summarize(samples, settings.durationMs);
  // Throughput counts successful completions inside the measured window (wrk style).
  summary.requestsPerSecond = completedInWindow / (settings.durationMs / 1000);
  return { target: target.name, summary, completedInWindow, errorSamples };
}
