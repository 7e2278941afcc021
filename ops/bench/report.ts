// Bench report: machine and code facts, what each pass means, the tables in order (cells, peer, billing
// cost, cache hits, slow streams, CPU per chunk, CPU %, targets), the dated section written into
// ops/bench/RESULTS.md (newest first) and the error samples.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { type CellResult, passLabels } from './cells.js';
import { cpuPerChunkTable, cpuTable, peerTable, resultsTable } from './load-tables.js';
import type { BenchOptions } from './options.js';
import { billingCostTable, cacheTable, slowStreamsTable } from './pass-tables.js';
import { evaluateTargets, targetsTable } from './targets.js';

/** Facts about the run the tables do not show. */
export interface RunFacts {
  /** The gateway's WORKER_CONCURRENCY (`--worker-concurrency` or the gateway default). */
  workerConcurrency: number;
  /** Soft `ulimit -n` the bench and its children run with (null: unknown). */
  openFilesLimit: number | null;
  /** e.g. `@portkey-ai/gateway@1.15.2 (node_modules in ~/.cache/...)`, or null without a peer. */
  peer: string | null;
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

export function errorSamplesText(cells: CellResult[]): string {
  const lines: string[] = [];
  for (const cell of cells) {
    const mode = cell.kind === 'slow' ? 'slow stream' : cell.mode;
    for (const result of [cell.gateway, cell.direct, ...(cell.peer ? [cell.peer] : [])]) {
      for (const sample of result.errorSamples) {
        const detail = (sample.detail ?? '').replace(/\s+/g, ' ');
        lines.push(
          `- ${passLabels[cell.pass]} ${result.target} ${mode} chunks=${cell.chunks} c=${cell.concurrency}: ${sample.kind}: ${detail}`,
        );
      }
    }
  }
  return lines.join('\n');
}

/** What each pass that ran means (one line each), the peer and the limits that matter. */
export function passDescriptions(cells: CellResult[], options: BenchOptions, facts: RunFacts): string[] {
  const ran = new Set(cells.map((cell) => cell.pass));
  const lines: string[] = [];
  if (ran.has('billing-on'))
    lines.push(
      '- billing on (the paid path): a non-admin user (balance 1e12) and a `token-billing` rule for the model (input 1, output 2 per 1k tokens): a MySQL hold before enqueue, settlement after the end; the rule is deleted after this pass',
    );
  if (ran.has('billing-off'))
    lines.push(
      "- billing off (the free path): root's API key; root is an admin and the model has no charge rule, so no hold is taken (a usage row is still written at settlement)",
    );
  if (ran.has('cache'))
    lines.push(
      `- cache hit: root's key, response cache on for the model (warmed until a hit), every answer must carry \`x-cache: hit\`; run last at ${options.chunks[0]} chunks (c=${options.cacheConcurrencies.join(',')}), cache switched off afterwards`,
    );
  if (cells.some((cell) => cell.kind === 'slow'))
    lines.push(
      `- slow streams: c concurrent streams of 25 chunks 200 ms apart (mock \`chunks=25&delay=200\`), users started over 5 s, ${options.slowDurationSeconds} s measured after ${options.warmupSeconds + 5} s; in the ${passLabels[cells.find((cell) => cell.kind === 'slow')?.pass ?? 'billing-on']} pass; TTFB = time to the first content frame`,
    );
  lines.push(
    "- every bench user's rpm limit is raised to 1,000,000,000 (the sliding-window check stays on the path)",
  );
  lines.push(
    `- gateway WORKER_CONCURRENCY: ${facts.workerConcurrency}${options.workerConcurrency === null ? ' (the gateway default)' : ' (--worker-concurrency)'}; open-files limit (ulimit -n): ${limitText(facts.openFilesLimit)}`,
  );
  if (facts.peer !== null)
    lines.push(
      `- peer: ${facts.peer}, routed to the mock with \`x-portkey-provider: openai\` and \`x-portkey-custom-host\` (same control path as direct); measured right after gateway and direct in every cell`,
    );
  return lines;
}

export const limitText = (limit: number | null): string =>
  limit === null ? 'unknown' : Number.isFinite(limit) ? String(limit) : 'unlimited';

const block = (title: string, table: string): string[] => (table === '' ? [] : [title, '', table, '']);

/** The stdout / RESULTS.md body after the run lines: every table, then the targets and error samples. */
export function reportBody(cells: CellResult[], options: BenchOptions, facts: RunFacts): string[] {
  const errors = errorSamplesText(cells);
  return [
    ...passDescriptions(cells, options, facts),
    '',
    resultsTable(cells),
    '',
    ...block(
      'Gateway vs the peer (same cell, same mock controls, measured right after gateway and direct):',
      peerTable(cells),
    ),
    ...block('What billing costs (gateway, billing on vs off; Δ = on − off):', billingCostTable(cells)),
    ...block(
      'Response cache hits (answered from Redis, no job or upstream call; "busy after": how long the api and workers kept working after the load stopped, e.g. writing queued usage rows):',
      cacheTable(cells),
    ),
    ...block(
      'Slow streams (25 chunks 200 ms apart; TTFB = first content frame; RSS peaks during the gateway run, peer RSS during its run):',
      slowStreamsTable(cells),
    ),
    ...block(
      'CPU per relayed chunk (CPU time inside the measured window ÷ (successful completions in the window × chunks); non-stream: per content chunk of the answer):',
      cpuPerChunkTable(cells),
    ),
    ...block(
      'CPU use during each run (% of one core over warm-up + window; redis and mariadb columns are for the gateway run):',
      cpuTable(cells),
    ),
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
  facts: RunFacts,
): string {
  const date = startedAt.toISOString().slice(0, 10);
  return [
    `## ${date} · topology ${options.topology}`,
    '',
    `- run: ${startedAt.toISOString()}, \`npm run bench -- ${process.argv.slice(2).join(' ')}\``.trimEnd(),
    `- machine: ${machineLine(machine)}`,
    `- code: ${codeLine(code)} (at the start of the run)`,
    `- topology: ${options.topology}; ${options.durationSeconds} s measured + ${options.warmupSeconds} s warm-up per cell and target; mock chunks=${options.chunks.join(',')} delay=${options.chunkDelayMs} ms`,
    '- driver, mock, gateway and peer share this machine; req/s counts successful completions inside the window',
    ...reportBody(cells, options, facts),
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
