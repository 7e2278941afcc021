// The issue's targets judged on a run (PASS / FAIL / n/a with the measured value): TTFT overhead at c=1,
// req/s against the peer at c=50, slow streams against direct, what the paid path costs, and no 429s.
import {
  type CellPass,
  type CellResult,
  findCell,
  mebibytes,
  milliseconds,
  ratio,
  ttftOverhead,
} from './cells.js';

export interface TargetRow {
  target: string;
  measured: string;
  pass: boolean | null;
}

/** The paid path (billing on) when it ran, else the free pass. */
export function targetPass(cells: CellResult[]): CellPass {
  return cells.some((cell) => cell.pass === 'billing-on') ? 'billing-on' : 'billing-off';
}

const notMeasured = (target: string, why = 'not measured'): TargetRow => ({
  target,
  measured: why,
  pass: null,
});

function ttftRows(cells: CellResult[], pass: CellPass, note: string): TargetRow[] {
  const singles = cells.filter(
    (cell) => cell.kind === 'load' && cell.pass === pass && cell.mode === 'stream' && cell.concurrency === 1,
  );
  if (singles.length === 0)
    return [notMeasured(`stream TTFT overhead over direct p50 <= 3 ms and p99 <= 10 ms (c=1${note})`)];
  return singles.map((cell) => {
    const overhead = ttftOverhead(cell);
    return {
      target: `stream TTFT overhead over direct p50 <= 3 ms and p99 <= 10 ms (c=1, ${cell.chunks} chunks${note})`,
      measured: overhead
        ? `p50 ${milliseconds(overhead.p50)} / p99 ${milliseconds(overhead.p99)} ms`
        : 'no successful requests',
      pass: overhead ? overhead.p50 <= 3 && overhead.p99 <= 10 : false,
    };
  });
}

function peerRows(cells: CellResult[], pass: CellPass, note: string): TargetRow[] {
  const rows: TargetRow[] = [];
  for (const chunks of [20, 200]) {
    for (const mode of ['stream', 'non-stream'] as const) {
      const target = `${mode} req/s >= 1.5x the peer (c=50, ${chunks} chunks${note})`;
      const cell = findCell(cells, pass, mode, 50, chunks);
      if (!cell) {
        rows.push(notMeasured(target));
        continue;
      }
      if (!cell.peer) {
        rows.push(notMeasured(target, 'no peer (--peer=portkey)'));
        continue;
      }
      const gateway = cell.gateway.summary.requestsPerSecond;
      const peer = cell.peer.summary.requestsPerSecond;
      rows.push({
        target,
        measured: `${gateway.toFixed(0)} vs ${peer.toFixed(0)} req/s = ${ratio(gateway, peer)}`,
        pass: peer > 0 ? gateway >= 1.5 * peer : gateway > 0,
      });
    }
  }
  return rows;
}

function slowRows(cells: CellResult[]): TargetRow[] {
  const streams = 2000;
  const cell = cells.find((candidate) => candidate.kind === 'slow' && candidate.concurrency === streams);
  const label = (text: string) => `slow streams (${streams}): ${text}`;
  const targets = [
    label('req/s >= 0.95x direct'),
    label('TTFB p50 <= 50 ms over direct'),
    label('api RSS <= 400 MiB'),
    label('0 errors'),
  ];
  if (!cell) return targets.map((target) => notMeasured(target, 'not measured (--slow-streams=2000)'));
  const gateway = cell.gateway.summary;
  const direct = cell.direct.summary;
  const overhead = ttftOverhead(cell);
  const rss = cell.gatewayResources.peakRssBytes.api ?? cell.gatewayResources.peakRssBytes.gateway;
  return [
    {
      target: targets[0],
      measured: `${gateway.requestsPerSecond.toFixed(1)} vs ${direct.requestsPerSecond.toFixed(1)} req/s = ${ratio(gateway.requestsPerSecond, direct.requestsPerSecond)}`,
      pass:
        direct.requestsPerSecond > 0 ? gateway.requestsPerSecond >= 0.95 * direct.requestsPerSecond : null,
    },
    {
      target: targets[1],
      measured: overhead ? `+${milliseconds(overhead.p50)} ms` : 'no successful requests',
      pass: overhead ? overhead.p50 <= 50 : false,
    },
    {
      target: targets[2],
      measured: rss === undefined ? 'not sampled' : `${mebibytes(rss)} MiB`,
      pass: rss === undefined ? null : rss <= 400 * 1024 ** 2,
    },
    {
      target: targets[3],
      measured: `${gateway.errors} of ${gateway.requests}${gateway.errors > 0 ? ` ${JSON.stringify(gateway.errorsByKind)}` : ''}`,
      pass: gateway.requests > 0 ? gateway.errors === 0 : null,
    },
  ];
}

function paidPathRows(cells: CellResult[]): TargetRow[] {
  const offs = cells.filter(
    (cell) => cell.kind === 'load' && cell.pass === 'billing-off' && cell.concurrency === 50,
  );
  const rows: TargetRow[] = [];
  for (const off of offs) {
    const on = findCell(cells, 'billing-on', off.mode, 50, off.chunks);
    if (!on) continue;
    const free = off.gateway.summary.requestsPerSecond;
    const paid = on.gateway.summary.requestsPerSecond;
    const cost = free > 0 ? ((free - paid) / free) * 100 : Number.NaN;
    rows.push({
      target: `paid path costs <= 10 % of the free path's req/s (${off.mode}, c=50, ${off.chunks} chunks)`,
      measured: `${paid.toFixed(0)} vs ${free.toFixed(0)} req/s = ${Number.isNaN(cost) ? '–' : `${cost.toFixed(1)} %`}`,
      pass: free > 0 ? paid >= 0.9 * free : null,
    });
  }
  if (rows.length === 0)
    rows.push(notMeasured("paid path costs <= 10 % of the free path's req/s (c=50)", 'needs --billing=both'));
  return rows;
}

export function evaluateTargets(cells: CellResult[]): TargetRow[] {
  const pass = targetPass(cells);
  const note = pass === 'billing-on' ? '' : ', billing off';
  const rows = [...ttftRows(cells, pass, note), ...peerRows(cells, pass, note), ...slowRows(cells)];
  rows.push(...paidPathRows(cells));
  // The bench raises its users' rpm limit; a 429 would mean the limiter (or a quota hold) refused.
  let refused = 0;
  let total = 0;
  for (const cell of cells) {
    refused += cell.gateway.summary.errorsByKind.http_429 ?? 0;
    total += cell.gateway.summary.requests;
  }
  rows.push({
    target: 'no 429 in any gateway cell (rpm limit raised, balance ample)',
    measured: `${refused} of ${total}`,
    pass: total > 0 ? refused === 0 : null,
  });
  const cacheCells = cells.filter((cell) => cell.pass === 'cache');
  if (cacheCells.length > 0) {
    const sum = (pick: (cell: CellResult) => number) =>
      cacheCells.reduce((total, cell) => total + pick(cell), 0);
    const misses = sum((cell) => cell.gateway.summary.errorsByKind.cache_miss ?? 0);
    const errors = sum((cell) => cell.gateway.summary.errors);
    const requests = sum((cell) => cell.gateway.summary.requests);
    rows.push({
      target: 'cache cells: every response a complete `x-cache: hit`',
      measured: `${misses} misses, ${errors} errors of ${requests}`,
      pass: requests > 0 ? errors === 0 : null,
    });
  }
  return rows;
}

export function targetsTable(rows: TargetRow[]): string {
  const lines = ['| target | measured | result |', '|---|---:|---|'];
  for (const row of rows)
    lines.push(
      `| ${row.target} | ${row.measured} | ${row.pass === null ? 'n/a' : row.pass ? 'PASS' : 'FAIL'} |`,
    );
  return lines.join('\n');
}
