// Bench report: machine facts, the per-cell markdown tables (billing off / billing on / cache passes),
// what billing costs, the cache-hit table, target pass/fail rows, the dated section written into
// ops/bench/RESULTS.md (newest first) and the error samples.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import type { LoadResult } from './driver.js';
import type { BenchMode, BenchOptions } from './options.js';
import type { ResourceWindow } from './processes.js';
import type { Percentiles } from './stats.js';

/** `billing-off`: root's key, free; `billing-on`: a paying user (hold + settlement); `cache`: cache hits. */
export type CellPass = 'billing-off' | 'billing-on' | 'cache';

export const passLabels: Record<CellPass, string> = {
  'billing-off': 'billing off',
  'billing-on': 'billing on',
  cache: 'cache hit',
};

export interface CellResult {
  pass: CellPass;
  mode: BenchMode;
  concurrency: number;
  gateway: LoadResult;
  direct: LoadResult;
  gatewayResources: ResourceWindow;
  directResources: ResourceWindow;
  /** Waited before the gateway run for the gateway processes to go idle (left-over work). */
  quietBeforeMs: number;
  /** Waited after the gateway run, before the direct run: work the gateway still had queued. */
  quietAfterMs: number;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryGb: number;
  nodeVersion: string;
  /** 1-minute load average before the run: other work on the machine skews the figures. */
  loadAverage: number;
}

export interface CodeVersion {
  /** Short HEAD commit, or null outside a git checkout. */
  commit: string | null;
  /** Uncommitted (modified or untracked) paths outside ops/bench: the run measured those too. */
  changed: string[];
}

/** The measured code: HEAD and uncommitted changes outside ops/bench (read-only git calls). */
export function codeVersion(repositoryRoot: string): CodeVersion {
  const git = (args: string[]) =>
    execFileSync('git', ['--no-optional-locks', ...args], {
      cwd: repositoryRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']).trim();
    const changed = git(['status', '--porcelain'])
      .split('\n')
      .map((line) => line.slice(3).trim())
      .filter((path) => path !== '' && !path.startsWith('ops/bench/'));
    return { commit, changed };
  } catch {
    return { commit: null, changed: [] };
  }
}

export function codeLine(code: CodeVersion): string {
  if (code.commit === null) return 'unknown (not a git checkout)';
  if (code.changed.length === 0) return `${code.commit}, no uncommitted changes outside ops/bench`;
  return `${code.commit} + uncommitted changes in ${code.changed.join(', ')}`;
}

export interface TargetRow {
  target: string;
  measured: string;
  pass: boolean | null;
}

export function machineInfo(): MachineInfo {
  let cpuModel = 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpuModel = match[1].trim();
  } catch {
    // not Linux
  }
  return {
    cpus: availableParallelism(),
    cpuModel,
    totalMemoryGb: totalmem() / 1024 ** 3,
    nodeVersion: process.version,
    loadAverage: loadavg()[0],
  };
}

export function machineLine(machine: MachineInfo): string {
  return (
    `${machine.cpus} CPUs (nproc), ${machine.cpuModel}, ${machine.totalMemoryGb.toFixed(1)} GB RAM, ` +
    `node ${machine.nodeVersion}, load average ${machine.loadAverage.toFixed(2)} before the run`
  );
}

const milliseconds = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1);
const pair = (stats: Percentiles | null): string =>
  stats ? `${milliseconds(stats.p50)} / ${milliseconds(stats.p99)}` : '–';
const megabytes = (bytes: number | undefined): string =>
  bytes === undefined ? '–' : (bytes / 1024 ** 2).toFixed(0);
const percent = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(0));

/** Gateway minus direct TTFT, computed on the percentiles. */
export function ttftOverhead(cell: CellResult): { p50: number; p99: number } | null {
  const gateway = cell.gateway.summary.ttft;
  const direct = cell.direct.summary.ttft;
  if (!gateway || !direct) return null;
  return { p50: gateway.p50 - direct.p50, p99: gateway.p99 - direct.p99 };
}

function gatewayRoles(cells: CellResult[]): string[] {
  const roles = new Set<string>();
  for (const cell of cells)
    for (const role of Object.keys(cell.gatewayResources.peakRssBytes)) roles.add(role);
  return ['api', 'workers', 'gateway'].filter((role) => roles.has(role));
}

export function resultsTable(cells: CellResult[]): string {
  const roles = gatewayRoles(cells);
  const header = [
    'pass',
    'mode',
    'c',
    'gw requests',
    'gw req/s',
    'gw errors',
    'direct req/s',
    'direct errors',
    'gw latency p50/p99 ms',
    'direct latency p50/p99 ms',
    'gw TTFT p50/p99 ms',
    'direct TTFT p50/p99 ms',
    'TTFT overhead p50/p99 ms',
    `peak RSS ${[...roles, 'mock'].join(' / ')} MB`,
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index < 3 ? '---' : '---:')).join('|')}|`,
  ];
  for (const cell of cells) {
    const gateway = cell.gateway.summary;
    const direct = cell.direct.summary;
    const overhead = ttftOverhead(cell);
    const mockPeak = Math.max(
      cell.gatewayResources.peakRssBytes.mock ?? 0,
      cell.directResources.peakRssBytes.mock ?? 0,
    );
    const rss = [
      ...roles.map((role) => megabytes(cell.gatewayResources.peakRssBytes[role])),
      megabytes(mockPeak),
    ];
    lines.push(
      `| ${[
        passLabels[cell.pass],
        cell.mode,
        cell.concurrency,
        gateway.requests,
        gateway.requestsPerSecond.toFixed(0),
        gateway.errors,
        direct.requestsPerSecond.toFixed(0),
        direct.errors,
        pair(gateway.latency),
        pair(direct.latency),
        pair(gateway.ttft),
        pair(direct.ttft),
        overhead ? `${milliseconds(overhead.p50)} / ${milliseconds(overhead.p99)}` : '–',
        rss.join(' / '),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

export function cpuTable(cells: CellResult[]): string {
  const roles = gatewayRoles(cells);
  const shared = ['redis', 'mariadb'].filter((name) =>
    cells.some((cell) => name in cell.gatewayResources.cpuPercent),
  );
  const header = [
    'pass',
    'mode',
    'c',
    ...roles.map((role) => `${role} CPU %`),
    'mock CPU %',
    'driver CPU %',
    ...shared.map((name) => `${name} CPU %`),
    'direct: mock CPU %',
    'direct: driver CPU %',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index < 3 ? '---' : '---:')).join('|')}|`,
  ];
  for (const cell of cells) {
    const gateway = cell.gatewayResources.cpuPercent;
    const direct = cell.directResources.cpuPercent;
    const values = [
      ...roles.map((role) => percent(gateway[role])),
      percent(gateway.mock),
      percent(gateway.driver),
      ...shared.map((name) => percent(gateway[name])),
      percent(direct.mock),
      percent(direct.driver),
    ];
    lines.push(`| ${[passLabels[cell.pass], cell.mode, cell.concurrency, ...values].join(' | ')} |`);
  }
  return lines.join('\n');
}

function findCell(
  cells: CellResult[],
  pass: CellPass,
  mode: BenchMode,
  concurrency: number,
): CellResult | undefined {
  return cells.find((cell) => cell.pass === pass && cell.mode === mode && cell.concurrency === concurrency);
}

/** The targets are judged on the unbilled pass (the billed one when only it ran). */
export function targetPass(cells: CellResult[]): CellPass {
  return cells.some((cell) => cell.pass === 'billing-off') ? 'billing-off' : 'billing-on';
}

export function evaluateTargets(cells: CellResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const pass = targetPass(cells);
  const note = pass === 'billing-off' ? '' : ', billing on';
  const single = findCell(cells, pass, 'stream', 1);
  const overhead = single ? ttftOverhead(single) : null;
  rows.push({
    target: `TTFT overhead p50 <= 3 ms (stream, c=1${note})`,
    measured: overhead ? `${milliseconds(overhead.p50)} ms` : 'not measured',
    pass: overhead ? overhead.p50 <= 3 : null,
  });
  const fifty = findCell(cells, pass, 'stream', 50);
  rows.push({
    target: `streamed throughput >= 1,000 req/s (c=50${note})`,
    measured: fifty ? `${fifty.gateway.summary.requestsPerSecond.toFixed(0)} req/s` : 'not measured',
    pass: fifty ? fifty.gateway.summary.requestsPerSecond >= 1000 : null,
  });
  for (const mode of ['stream', 'non-stream'] as const) {
    const cell = findCell(cells, pass, mode, 200);
    const summary = cell?.gateway.summary;
    rows.push({
      target: `0 errors, all ${mode === 'stream' ? 'streams' : 'replies'} complete (${mode}, c=200${note})`,
      measured: summary
        ? `${summary.errors} errors of ${summary.requests}${summary.errors > 0 ? ` ${JSON.stringify(summary.errorsByKind)}` : ''}`
        : 'not measured',
      pass: summary ? summary.errors === 0 && summary.requests > 0 : null,
    });
  }
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
    const misses = cacheCells.reduce(
      (sum, cell) => sum + (cell.gateway.summary.errorsByKind.cache_miss ?? 0),
      0,
    );
    const errors = cacheCells.reduce((sum, cell) => sum + cell.gateway.summary.errors, 0);
    const requests = cacheCells.reduce((sum, cell) => sum + cell.gateway.summary.requests, 0);
    rows.push({
      target: 'cache cells: every response a complete `x-cache: hit`',
      measured: `${misses} misses, ${errors} errors of ${requests}`,
      pass: requests > 0 ? errors === 0 : null,
    });
  }
  return rows;
}

const signedPercent = (after: number, before: number): string => {
  if (before <= 0) return '–';
  const change = ((after - before) / before) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`;
};
const signedMilliseconds = (value: number): string =>
  Number.isNaN(value) ? '–' : `${value < 0 ? '-' : '+'}${milliseconds(Math.abs(value))}`;

/** Billing off and on side by side for every mode × concurrency both passes ran; '' when not both ran. */
export function billingCostTable(cells: CellResult[]): string {
  const header = [
    'mode',
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
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index < 2 ? '---' : '---:')).join('|')}|`,
  ];
  let rows = 0;
  for (const off of cells.filter((cell) => cell.pass === 'billing-off')) {
    const on = findCell(cells, 'billing-on', off.mode, off.concurrency);
    if (!on) continue;
    const a = off.gateway.summary;
    const b = on.gateway.summary;
    const delta = (x: Percentiles | null, y: Percentiles | null): number =>
      x && y ? y.p50 - x.p50 : Number.NaN;
    lines.push(
      `| ${[
        off.mode,
        off.concurrency,
        a.requestsPerSecond.toFixed(0),
        b.requestsPerSecond.toFixed(0),
        signedPercent(b.requestsPerSecond, a.requestsPerSecond),
        pair(a.ttft),
        pair(b.ttft),
        signedMilliseconds(delta(a.ttft, b.ttft)),
        pair(a.latency),
        pair(b.latency),
        signedMilliseconds(delta(a.latency, b.latency)),
        b.errors > 0 ? `${b.errors} ${JSON.stringify(b.errorsByKind)}` : '0',
      ].join(' | ')} |`,
    );
    rows++;
  }
  return rows === 0 ? '' : lines.join('\n');
}

/** Cache hits next to the uncached gateway (unbilled pass) and the mock called directly. */
export function cacheTable(cells: CellResult[]): string {
  const header = [
    'mode',
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
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index < 2 ? '---' : '---:')).join('|')}|`,
  ];
  let rows = 0;
  for (const cell of cells.filter((candidate) => candidate.pass === 'cache')) {
    const hit = cell.gateway.summary;
    const uncached = findCell(cells, 'billing-off', cell.mode, cell.concurrency)?.gateway.summary;
    const overhead = ttftOverhead(cell);
    lines.push(
      `| ${[
        cell.mode,
        cell.concurrency,
        hit.requests,
        hit.requestsPerSecond.toFixed(0),
        hit.errors > 0 ? `${hit.errors} ${JSON.stringify(hit.errorsByKind)}` : '0',
        pair(hit.latency),
        pair(hit.ttft),
        uncached ? pair(uncached.ttft) : '–',
        pair(cell.direct.summary.ttft),
        overhead ? signedMilliseconds(overhead.p50) : '–',
        (Math.max(0, cell.quietAfterMs - 500) / 1000).toFixed(1),
      ].join(' | ')} |`,
    );
    rows++;
  }
  return rows === 0 ? '' : lines.join('\n');
}

export function targetsTable(rows: TargetRow[]): string {
  const lines = ['| target | measured | result |', '|---|---:|---|'];
  for (const row of rows)
    lines.push(
      `| ${row.target} | ${row.measured} | ${row.pass === null ? 'n/a' : row.pass ? 'PASS' : 'FAIL'} |`,
    );
  return lines.join('\n');
}

export function errorSamplesText(cells: CellResult[]): string {
  const lines: string[] = [];
  for (const cell of cells) {
    for (const result of [cell.gateway, cell.direct]) {
      for (const sample of result.errorSamples) {
        const detail = (sample.detail ?? '').replace(/\s+/g, ' ');
        lines.push(
          `- ${passLabels[cell.pass]} ${result.target} ${cell.mode} c=${cell.concurrency}: ${sample.kind}: ${detail}`,
        );
      }
    }
  }
  return lines.join('\n');
}

/** What each pass that ran means (one line each). */
export function passDescriptions(cells: CellResult[], options: BenchOptions): string[] {
  const ran = new Set(cells.map((cell) => cell.pass));
  const lines: string[] = [];
  if (ran.has('billing-off'))
    lines.push(
      "- billing off: root's API key; root is an admin and the model has no charge rule, so no hold is taken (a usage row is still written at settlement)",
    );
  if (ran.has('billing-on'))
    lines.push(
      '- billing on: a non-admin user (balance 1e12) and a `token-billing` rule for the model (input 1, output 2 per 1k tokens): a MySQL hold before enqueue, settlement after the end; the rule is deleted after this pass',
    );
  if (ran.has('cache'))
    lines.push(
      `- cache hit: root's key, response cache on for the model (warmed by one request), every answer must carry \`x-cache: hit\`; run last (c=${options.cacheConcurrencies.join(',')}), cache switched off afterwards`,
    );
  lines.push(
    "- every bench user's rpm limit is raised to 1,000,000,000 (the sliding-window check stays on the path)",
  );
  return lines;
}

/** The stdout / RESULTS.md body after the run lines: tables per pass, billing cost, cache, CPU, targets. */
export function reportBody(cells: CellResult[], options: BenchOptions): string[] {
  const errors = errorSamplesText(cells);
  const billing = billingCostTable(cells);
  const cache = cacheTable(cells);
  return [
    ...passDescriptions(cells, options),
    '',
    resultsTable(cells),
    '',
    ...(billing === ''
      ? []
      : ['What billing costs (gateway, billing on vs off; Δ = on − off):', '', billing, '']),
    ...(cache === ''
      ? []
      : [
          'Response cache hits (answered from Redis, no job or upstream call; "busy after": how long the api and workers kept working after the load stopped, e.g. writing queued usage rows):',
          '',
          cache,
          '',
        ]),
    'CPU use during each run (% of one core; redis and mariadb columns are for the gateway run):',
    '',
    cpuTable(cells),
    '',
    targetsTable(evaluateTargets(cells)),
    '',
    ...(errors === '' ? [] : ['Error samples:', '', errors, '']),
  ];
}

export function sectionText(
  options: BenchOptions,
  machine: MachineInfo,
  code: CodeVersion,
  startedAt: Date,
  cells: CellResult[],
): string {
  const date = startedAt.toISOString().slice(0, 10);
  return [
    `## ${date} · topology ${options.topology}`,
    '',
    `- run: ${startedAt.toISOString()}, \`npm run bench -- ${process.argv.slice(2).join(' ')}\``.trimEnd(),
    `- machine: ${machineLine(machine)}`,
    `- code: ${codeLine(code)} (at the start of the run)`,
    `- topology: ${options.topology}; ${options.durationSeconds} s measured + ${options.warmupSeconds} s warm-up per cell and target; mock chunks=${options.chunks} delay=${options.chunkDelayMs} ms`,
    '- driver, mock and gateway share this machine; req/s counts successful completions inside the window',
    ...reportBody(cells, options),
  ].join('\n');
}

const resultsHeader =
  '# Bench results\n\nNewest first; `npm run bench` replaces the section with the same date and topology.\n';

/** Puts `section` first, replacing an older section with the same heading line. */
export async function writeResultsSection(path: string, section: string): Promise<void> {
  let existing = '';
  try {
    existing = await readFile(path, 'utf8');
  } catch {
    existing = '';
  }
  const heading = section.slice(0, section.indexOf('\n'));
  const parts = existing.split(/^(?=## )/m);
  const kept = parts.slice(1).filter((part) => part.slice(0, part.indexOf('\n')) !== heading);
  const body = [section.trimEnd(), ...kept.map((part) => part.trimEnd())].join('\n\n');
  await writeFile(path, `${resultsHeader}\n${body}\n`);
}
