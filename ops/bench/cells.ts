// What one bench cell measured (gateway, direct and optionally the peer, with their resource windows),
// plus the helpers every table uses: lookup, TTFT overhead, gateway roles and number formatting.
import type { LoadResult } from './driver.js';
import type { BenchMode } from './options.js';
import type { ResourceWindow } from './processes.js';
import type { Percentiles } from './stats.js';

/** `billing-on`: a paying user (hold + settlement); `billing-off`: root's key, free; `cache`: cache hits. */
export type CellPass = 'billing-off' | 'billing-on' | 'cache';
/** `load`: back-to-back requests; `slow`: many concurrent streams of 25 chunks 200 ms apart. */
export type CellKind = 'load' | 'slow';

export const passLabels: Record<CellPass, string> = {
  'billing-off': 'billing off',
  'billing-on': 'billing on',
  cache: 'cache hit',
};

export interface CellResult {
  pass: CellPass;
  kind: CellKind;
  mode: BenchMode;
  concurrency: number;
  /** Mock content chunks per reply and the delay between them. */
  chunks: number;
  chunkDelayMs: number;
  gateway: LoadResult;
  direct: LoadResult;
  /** null without `--peer`. */
  peer: LoadResult | null;
  gatewayResources: ResourceWindow;
  directResources: ResourceWindow;
  peerResources: ResourceWindow | null;
  /** Waited before the gateway run for the gateway processes to go idle (left-over work). */
  quietBeforeMs: number;
  /** Waited after the gateway run, before the direct run: work the gateway still had queued. */
  quietAfterMs: number;
}

export function findCell(
  cells: CellResult[],
  pass: CellPass,
  mode: BenchMode,
  concurrency: number,
  chunks: number,
): CellResult | undefined {
  return cells.find(
    (cell) =>
      cell.kind === 'load' &&
      cell.pass === pass &&
      cell.mode === mode &&
      cell.concurrency === concurrency &&
      cell.chunks === chunks,
  );
}

/** `target` minus direct on the TTFT percentiles. */
export function ttftOverhead(
  cell: CellResult,
  target: 'gateway' | 'peer' = 'gateway',
): { p50: number; p99: number } | null {
  const measured = cell[target]?.summary.ttft;
  const direct = cell.direct.summary.ttft;
  if (!measured || !direct) return null;
  return { p50: measured.p50 - direct.p50, p99: measured.p99 - direct.p99 };
}

/** Gateway process roles seen: `api` and `workers` (split) or `gateway` (single). */
export function gatewayRoles(cells: CellResult[]): string[] {
  const roles = new Set<string>();
  for (const cell of cells)
    for (const role of Object.keys(cell.gatewayResources.peakRssBytes)) roles.add(role);
  return ['api', 'workers', 'gateway'].filter((role) => roles.has(role));
}

/** CPU milliseconds of the gateway processes (api + workers, or the single gateway) in the measured window. */
export function gatewayCpuMs(cell: CellResult): number | null {
  const measured = cell.gatewayResources.measuredCpuMs;
  const roles = ['api', 'workers', 'gateway'].filter((role) => role in measured);
  return roles.length === 0 ? null : roles.reduce((sum, role) => sum + measured[role], 0);
}

/** CPU microseconds per relayed content chunk: window CPU ÷ (successful completions × chunks). */
export function microsecondsPerChunk(
  cpuMs: number | null,
  result: LoadResult,
  chunks: number,
): number | null {
  if (cpuMs === null || result.completedInWindow === 0) return null;
  return (cpuMs * 1000) / (result.completedInWindow * chunks);
}

export const milliseconds = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1);
export const pair = (stats: Percentiles | null | undefined): string =>
  stats ? `${milliseconds(stats.p50)} / ${milliseconds(stats.p99)}` : '–';
export const overheadPair = (overhead: { p50: number; p99: number } | null): string =>
  overhead ? `${milliseconds(overhead.p50)} / ${milliseconds(overhead.p99)}` : '–';
export const mebibytes = (bytes: number | undefined): string =>
  bytes === undefined ? '–' : (bytes / 1024 ** 2).toFixed(0);
export const percent = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(0));
export const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '–');
export const errorText = (result: LoadResult | null): string => {
  if (result === null) return '–';
  const summary = result.summary;
  return summary.errors > 0 ? `${summary.errors} ${JSON.stringify(summary.errorsByKind)}` : '0';
};

export function tableLines(header: string[], leftColumns: number, rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index < leftColumns ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}
