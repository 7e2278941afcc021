// Latency statistics for the bench: nearest-rank percentiles over millisecond samples and
// the per-run summary (counts, throughput, latency and TTFT percentiles, errors by kind).

export interface RequestSample {
  /** Milliseconds since the run's measurement start when the request was sent. */
  startedAt: number;
  latencyMs: number;
  ttftMs: number;
  ok: boolean;
  errorKind: string | null;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RunSummary {
  requests: number;
  ok: number;
  errors: number;
  errorsByKind: Record<string, number>;
  /** Successful requests per second over the measured window. */
  requestsPerSecond: number;
  windowSeconds: number;
  latency: Percentiles | null;
  ttft: Percentiles | null;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    p50: percentile(list, 0.5),
    p90: percentile(list, 0.9),
    p99: percentile(list, 0.99),
    max: list[list.length - 1],
  };
}

/** Percentiles are computed over successful requests only; errors are counted by kind. */
export function summarize(samples: RequestSample[], windowMs: number): RunSummary {
  const latencies: number[] = [];
  const ttfts: number[] = [];
  const errorsByKind: Record<string, number> = {};
  let ok = 0;
  for (const sample of samples) {
    if (sample.ok) {
      ok++;
      latencies.push(sample.latencyMs);
      ttfts.push(sample.ttftMs);
    } else {
      const kind = sample.errorKind ?? 'unknown';
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
    }
  }
  const windowSeconds = windowMs / 1000;
  return {
    requests: samples.length,
    ok,
    errors: samples.length - ok,
    errorsByKind,
    requestsPerSecond: windowSeconds > 0 ? ok / windowSeconds : 0,
    windowSeconds,
    latency: percentiles(latencies),
    ttft: percentiles(ttfts),
  };
}
