// Bench report: machine facts, the per-cell markdown tables, target pass/fail rows, the dated
// section written into ops/bench/RESULTS.md (newest first) and the error samples.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import type { LoadResult } from './driver.js';
import type { BenchMode, BenchOptions } from './options.js';
import type { ResourceWindow } from './processes.js';
import type { Percentiles } from './stats.js';

export interface CellResult {
  mode: BenchMode;
  concurrency: number;
  gateway: LoadResult;
  direct: LoadResult;
  gatewayResources: ResourceWindow;
  directResources: ResourceWindow;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryGb: number;
  nodeVersion: string;
  /** 1-minute load average before the run: other work on the machine skews the figures. */
  loadAverage: number;
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
    `|${header.map((_, index) => (index < 2 ? '---' : '---:')).join('|')}|`,
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
    `|${header.map((_, index) => (index < 2 ? '---' : '---:')).join('|')}|`,
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
    lines.push(`| ${[cell.mode, cell.concurrency, ...values].join(' | ')} |`);
  }
  return lines.join('\n');
}

function findCell(cells: CellResult[], mode: BenchMode, concurrency: number): CellResult | undefined {
  return cells.find((cell) => cell.mode === mode && cell.concurrency === concurrency);
}

export function evaluateTargets(cells: CellResult[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const single = findCell(cells, 'stream', 1);
  const overhead = single ? ttftOverhead(single) : null;
  rows.push({
    target: 'TTFT overhead p50 <= 3 ms (stream, c=1)',
    measured: overhead ? `${milliseconds(overhead.p50)} ms` : 'not measured',
    pass: overhead ? overhead.p50 <= 3 : null,
  });
  const fifty = findCell(cells, 'stream', 50);
  rows.push({
    target: 'streamed throughput >= 1,000 req/s (c=50)',
    measured: fifty ? `${fifty.gateway.summary.requestsPerSecond.toFixed(0)} req/s` : 'not measured',
    pass: fifty ? fifty.gateway.summary.requestsPerSecond >= 1000 : null,
  });
  for (const mode of ['stream', 'non-stream'] as const) {
    const cell = findCell(cells, mode, 200);
    const summary = cell?.gateway.summary;
    rows.push({
      target: `0 errors, all ${mode === 'stream' ? 'streams' : 'replies'} complete (${mode}, c=200)`,
      measured: summary
        ? `${summary.errors} errors of ${summary.requests}${summary.errors > 0 ? ` ${JSON.stringify(summary.errorsByKind)}` : ''}`
        : 'not measured',
      pass: summary ? summary.errors === 0 && summary.requests > 0 : null,
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

export function errorSamplesText(cells: CellResult[]): string {
  const lines: string[] = [];
  for (const cell of cells) {
    for (const result of [cell.gateway, cell.direct]) {
      for (const sample of result.errorSamples) {
        const detail = (sample.detail ?? '').replace(/\s+/g, ' ');
        lines.push(`- ${result.target} ${cell.mode} c=${cell.concurrency}: ${sample.kind}: ${detail}`);
      }
    }
  }
  return lines.join('\n');
}

export function sectionText(
  options: BenchOptions,
  machine: MachineInfo,
  startedAt: Date,
  cells: CellResult[],
): string {
  const date = startedAt.toISOString().slice(0, 10);
  const errors = errorSamplesText(cells);
  return [
    `## ${date} · topology ${options.topology}`,
    '',
    `- run: ${startedAt.toISOString()}, \`npm run bench -- ${process.argv.slice(2).join(' ')}\``.trimEnd(),
    `- machine: ${machineLine(machine)}`,
    `- topology: ${options.topology}; ${options.durationSeconds} s measured + ${options.warmupSeconds} s warm-up per cell and target; mock chunks=${options.chunks} delay=${options.chunkDelayMs} ms`,
    '- driver, mock and gateway share this machine; req/s counts successful completions inside the window',
    '',
    resultsTable(cells),
    '',
    'CPU use during each run (% of one core; redis and mariadb columns are for the gateway run):',
    '',
    cpuTable(cells),
    '',
    targetsTable(evaluateTargets(cells)),
    '',
    ...(errors === '' ? [] : ['Error samples:', '', errors, '']),
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
