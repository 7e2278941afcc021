// Tables comparing passes and special cells: what billing costs (on vs off), response-cache hits, and
// the slow-stream cells (many concurrent streams: req/s and TTFB against direct, RSS, errors).
import {
  type CellResult,
  errorText,
  findCell,
  mebibytes,
  milliseconds,
  overheadPair,
  pair,
  ratio,
  tableLines,
  ttftOverhead,
} from './cells.js';
import type { Percentiles } from './stats.js';

const signedPercent = (after: number, before: number): string => {
  if (before <= 0) return '–';
  const change = ((after - before) / before) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`;
};
export const signedMilliseconds = (value: number): string =>
  Number.isNaN(value) ? '–' : `${value < 0 ? '-' : '+'}${milliseconds(Math.abs(value))}`;

/** Billing off and on side by side for every cell both passes ran; '' when not both ran. */
export function billingCostTable(cells: CellResult[]): string {
  const header = [
    'mode',
    'chunks',
    'c',
    'off req/s',
    'on req/s',
    'Δ req/s',
    'off TTFT p50/p99 ms',
    'on TTFT p50/p99 ms',
    'Δ TTFT p50 ms',
    'off latency p50/p99 ms',
    'on latency p50/p99 ms',
    'Δ latency p50 ms',
    'on errors',
  ];
  const delta = (x: Percentiles | null, y: Percentiles | null): number =>
    x && y ? y.p50 - x.p50 : Number.NaN;
  const rows: string[][] = [];
  for (const off of cells.filter((cell) => cell.kind === 'load' && cell.pass === 'billing-off')) {
    const on = findCell(cells, 'billing-on', off.mode, off.concurrency, off.chunks);
    if (!on) continue;
    const a = off.gateway.summary;
    const b = on.gateway.summary;
    rows.push([
      off.mode,
      String(off.chunks),
      String(off.concurrency),
      a.requestsPerSecond.toFixed(0),
      b.requestsPerSecond.toFixed(0),
      signedPercent(b.requestsPerSecond, a.requestsPerSecond),
      pair(a.ttft),
      pair(b.ttft),
      signedMilliseconds(delta(a.ttft, b.ttft)),
      pair(a.latency),
      pair(b.latency),
      signedMilliseconds(delta(a.latency, b.latency)),
      errorText(on.gateway),
    ]);
  }
  return rows.length === 0 ? '' : tableLines(header, 3, rows).join('\n');
}

/** Cache hits next to the uncached gateway (same chunk count and c) and the mock called directly. */
export function cacheTable(cells: CellResult[]): string {
  const header = [
    'mode',
    'chunks',
    'c',
    'hit requests',
    'hit req/s',
    'errors',
    'hit latency p50/p99 ms',
    'hit TTFT p50/p99 ms',
    'uncached gw TTFT p50/p99 ms',
    'direct TTFT p50/p99 ms',
    'hit − direct TTFT p50 ms',
    'gateway busy after the run s',
  ];
  const rows = cells
    .filter((cell) => cell.pass === 'cache')
    .map((cell) => {
      const hit = cell.gateway.summary;
      const uncached =
        findCell(cells, 'billing-on', cell.mode, cell.concurrency, cell.chunks) ??
        findCell(cells, 'billing-off', cell.mode, cell.concurrency, cell.chunks);
      const overhead = ttftOverhead(cell);
      return [
        cell.mode,
        String(cell.chunks),
        String(cell.concurrency),
        String(hit.requests),
        hit.requestsPerSecond.toFixed(0),
        errorText(cell.gateway),
        pair(hit.latency),
        pair(hit.ttft),
        pair(uncached?.gateway.summary.ttft),
        pair(cell.direct.summary.ttft),
        overhead ? signedMilliseconds(overhead.p50) : '–',
        (Math.max(0, cell.quietAfterMs - 500) / 1000).toFixed(1),
      ];
    });
  return rows.length === 0 ? '' : tableLines(header, 3, rows).join('\n');
}

/** Slow-stream cells; TTFB is the time to the first content frame (as TTFT elsewhere). '' when none ran. */
export function slowStreamsTable(cells: CellResult[]): string {
  const slow = cells.filter((cell) => cell.kind === 'slow');
  const withPeer = slow.some((cell) => cell.peer !== null);
  const header = [
    'streams',
    'gw req/s',
    'direct req/s',
    'gw / direct',
    ...(withPeer ? ['peer req/s', 'peer / direct'] : []),
    'gw TTFB p50/p99 ms',
    'direct TTFB p50/p99 ms',
    'gw − direct TTFB p50/p99 ms',
    ...(withPeer ? ['peer − direct TTFB p50/p99 ms'] : []),
    'peak RSS api MiB',
    'peak RSS workers MiB',
    ...(withPeer ? ['peak RSS peer MiB'] : []),
    'gw errors',
    'direct errors',
    ...(withPeer ? ['peer errors'] : []),
  ];
  const rows = slow.map((cell) => {
    const gateway = cell.gateway.summary;
    const direct = cell.direct.summary;
    const peer = cell.peer?.summary;
    const rss = cell.gatewayResources.peakRssBytes;
    return [
      String(cell.concurrency),
      gateway.requestsPerSecond.toFixed(1),
      direct.requestsPerSecond.toFixed(1),
      ratio(gateway.requestsPerSecond, direct.requestsPerSecond),
      ...(withPeer
        ? [
            peer ? peer.requestsPerSecond.toFixed(1) : '–',
            peer ? ratio(peer.requestsPerSecond, direct.requestsPerSecond) : '–',
          ]
        : []),
      pair(gateway.ttft),
      pair(direct.ttft),
      overheadPair(ttftOverhead(cell)),
      ...(withPeer ? [overheadPair(ttftOverhead(cell, 'peer'))] : []),
      mebibytes(rss.api ?? rss.gateway),
      mebibytes(rss.workers),
      ...(withPeer ? [mebibytes(cell.peerResources?.peakRssBytes.peer)] : []),
      errorText(cell.gateway),
      errorText(cell.direct),
      ...(withPeer ? [errorText(cell.peer)] : []),
    ];
  });
  return rows.length === 0 ? '' : tableLines(header, 1, rows).join('\n');
}
