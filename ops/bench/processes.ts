// Child processes for the bench: spawn `node [--import tsx] <entry>` with output captured to a log file,
// stop them (SIGTERM, then SIGKILL), pick free ports, sample RSS / CPU time from /proc, read limits.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

export interface ChildHandle {
  name: string;
  child: ChildProcess;
  pid: number;
  logPath: string;
  exited: Promise<number | null>;
  hasExited(): boolean;
}

export interface SpawnOptions {
  name: string;
  entry: string;
  environment: Record<string, string>;
  logPath: string;
  /** Extra node flags placed before `--import tsx` (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Arguments after the entry. */
  args?: string[];
  /** false: plain JavaScript, run without the tsx loader (the peer gateway). Default true. */
  tsx?: boolean;
  cwd: string;
}

export function spawnNodeChild(options: SpawnOptions): ChildHandle {
  const log = createWriteStream(options.logPath, { flags: 'a' });
  const loader = options.tsx === false ? [] : ['--import', 'tsx'];
  const argv = [...(options.nodeFlags ?? []), ...loader, options.entry, ...(options.args ?? [])];
  const child = spawn(process.execPath, argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exited = false;
  const exitPromise = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      log.write(`\n[bench] ${options.name} exited code=${code} signal=${signal}\n`);
      setTimeout(() => log.end(), 200);
      resolve(code);
    });
    child.once('error', (error) => {
      exited = true;
      log.write(`\n[bench] ${options.name} failed to start: ${String(error)}\n`);
      resolve(null);
    });
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${options.name}`);
  return {
    name: options.name,
    child,
    pid: child.pid,
    logPath: options.logPath,
    exited: exitPromise,
    hasExited: () => exited,
  };
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the child is gone. */
export async function stopChild(handle: ChildHandle, graceMs = 10_000): Promise<void> {
  if (handle.hasExited()) return;
  handle.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  const outcome = await Promise.race([handle.exited, timer]);
  if (outcome === 'timeout' && !handle.hasExited()) {
    handle.child.kill('SIGKILL');
    await handle.exited;
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size in bytes, or null when the process is gone. */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU time in clock ticks (usually 1/100 s), or null when the process is gone. */
export async function readCpuTicks(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

export const clockTicksPerSecond = 100;

/**
 * Waits until `pids` together use less than `thresholdPercent` of one core over a 500 ms window
 * (work left over from the previous run, e.g. queued MySQL writes, would load the next one), at
 * most `maxMs`; returns the milliseconds waited.
 */
export async function waitUntilQuiet(
  pids: number[],
  signal: AbortSignal,
  thresholdPercent = 10,
  maxMs = 60_000,
): Promise<number> {
  const started = performance.now();
  const total = async () => {
    let ticks = 0;
    for (const pid of pids) ticks += (await readCpuTicks(pid)) ?? 0;
    return ticks;
  };
  while (!signal.aborted && performance.now() - started < maxMs) {
    const before = await total();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const percent = (((await total()) - before) / clockTicksPerSecond / 0.5) * 100;
    if (percent < thresholdPercent) break;
  }
  return performance.now() - started;
}

/** First pid whose /proc/<pid>/comm is one of `names` (e.g. the local redis-server), or null. */
export async function findProcessByName(names: string[]): Promise<number | null> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const name = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (names.includes(name.trim())) return Number(entry);
  }
  return null;
}

/** The soft open-files limit (`ulimit -n`) this process (and so every child) has, or null. */
export async function openFilesLimit(): Promise<number | null> {
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (!match) return null;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return null;
  }
}

export interface ResourceWindow {
  /** Peak RSS per process name in bytes during the window. */
  peakRssBytes: Record<string, number>;
  /** CPU used per process name during the window, as a percentage of one core. */
  cpuPercent: Record<string, number>;
  /** CPU milliseconds per process name inside the measured window only (warm-up excluded). */
  measuredCpuMs: Record<string, number>;
}

/** Samples RSS of named processes every `intervalMs`; `window()` marks per-cell peaks and CPU use. */
export class ResourceSampler {
  private timer: NodeJS.Timeout | null = null;
  private peaks: Record<string, number> = {};
  private cpuStart: Record<string, number> = {};
  private windowStart = 0;
  private measureStart: Promise<Record<string, number>> | null = null;
  private measureEnd: Promise<Record<string, number>> | null = null;

  constructor(
    private readonly processes: Record<string, number>,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async sample(): Promise<void> {
    for (const [name, pid] of Object.entries(this.processes)) {
      const rss = await readRssBytes(pid);
      if (rss !== null && rss > (this.peaks[name] ?? 0)) this.peaks[name] = rss;
    }
  }

  private async readTicks(): Promise<Record<string, number>> {
    const ticks: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.processes)) {
      const value = await readCpuTicks(pid);
      if (value !== null) ticks[name] = value;
    }
    return ticks;
  }

  /** The driver's measured window opened: read the CPU counters now (awaited by `endWindow`). */
  markMeasureStart(): void {
    this.measureStart = this.readTicks();
  }

  markMeasureEnd(): void {
    this.measureEnd = this.readTicks();
  }

  /** Starts a run window: resets peaks and records CPU counters. */
  async beginWindow(): Promise<void> {
    this.peaks = {};
    this.measureStart = null;
    this.measureEnd = null;
    this.windowStart = performance.now();
    for (const [name, pid] of Object.entries(this.processes))
      this.cpuStart[name] = (await readCpuTicks(pid)) ?? 0;
    await this.sample();
  }

  async endWindow(): Promise<ResourceWindow> {
    await this.sample();
    const seconds = (performance.now() - this.windowStart) / 1000;
    const cpuPercent: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.processes)) {
      const ticks = (await readCpuTicks(pid)) ?? this.cpuStart[name] ?? 0;
      cpuPercent[name] =
        seconds > 0 ? ((ticks - (this.cpuStart[name] ?? 0)) / clockTicksPerSecond / seconds) * 100 : 0;
    }
    const measuredCpuMs: Record<string, number> = {};
    if (this.measureStart !== null && this.measureEnd !== null) {
      const [from, to] = await Promise.all([this.measureStart, this.measureEnd]);
      for (const name of Object.keys(to)) {
        if (name in from) measuredCpuMs[name] = ((to[name] - from[name]) / clockTicksPerSecond) * 1000;
      }
    }
    return { peakRssBytes: { ...this.peaks }, cpuPercent, measuredCpuMs };
  }
}
