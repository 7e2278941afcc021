// `--profile` support: reads the V8 .cpuprofile files the gateway children wrote on exit and lists the
// functions with the most self time (sample time deltas summed per function name + url:line).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  percent: number;
}

export interface ProcessProfile {
  role: string;
  file: string;
  totalMs: number;
  /** Sampled time not spent idle. */
  busyMs: number;
  hottest: HotFunction[];
}

/** Positions are V8's (0-based line, column) in the code that ran, which tsx may have reflowed. */
function shortLocation(url: string, line: number, column: number, repositoryRoot: string): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? url.slice(7) : url;
  const modulesIndex = path.lastIndexOf('/node_modules/');
  if (modulesIndex !== -1) path = path.slice(modulesIndex + 1);
  else if (path.startsWith(repositoryRoot)) path = relative(repositoryRoot, path);
  return `${path}:${line + 1}:${column + 1}`;
}

/**
 * Self time per function (microseconds summed from timeDeltas, or hitCount × mean interval), idle excluded;
 * percentages are of the busy (non-idle) time.
 */
export function hottestFunctions(
  profile: CpuProfile,
  repositoryRoot: string,
  limit: number,
): { busyMs: number; hottest: HotFunction[] } {
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const selfMicroseconds = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the gap before sample i; attribute it to the sample's node.
    for (let index = 0; index < samples.length; index++) {
      const delta = Math.max(0, deltas[index]);
      selfMicroseconds.set(samples[index], (selfMicroseconds.get(samples[index]) ?? 0) + delta);
    }
  } else {
    const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const interval = totalHits > 0 ? (profile.endTime - profile.startTime) / totalHits : 0;
    for (const node of profile.nodes) selfMicroseconds.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const totals = new Map<string, HotFunction>();
  let totalMicroseconds = 0;
  for (const [id, microseconds] of selfMicroseconds) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    totalMicroseconds += microseconds;
    const frame = node.callFrame;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const location = shortLocation(frame.url, frame.lineNumber, frame.columnNumber, repositoryRoot);
    const key = `${name}\u0000${location}`;
    const entry = totals.get(key) ?? { name, location, selfMs: 0, percent: 0 };
    entry.selfMs += microseconds / 1000;
    totals.set(key, entry);
  }
  const list = [...totals.values()].sort((left, right) => right.selfMs - left.selfMs).slice(0, limit);
  for (const entry of list)
    entry.percent = totalMicroseconds > 0 ? (entry.selfMs * 1000 * 100) / totalMicroseconds : 0;
  return { busyMs: totalMicroseconds / 1000, hottest: list };
}

/** Reads every profile in `directory`, naming each by the child role that had its pid. */
export async function readProfiles(
  directory: string,
  roleByPid: Map<number, string>,
  repositoryRoot: string,
  limit = 15,
): Promise<ProcessProfile[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.cpuprofile'));
  const profiles: ProcessProfile[] = [];
  for (const file of files) {
    // CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile; thread 0 is the main thread.
    const [, , , pidText, threadText] = file.split('.');
    const role = roleByPid.get(Number(pidText)) ?? `pid ${pidText}`;
    const profile = JSON.parse(await readFile(join(directory, file), 'utf8')) as CpuProfile;
    const { busyMs, hottest } = hottestFunctions(profile, repositoryRoot, limit);
    profiles.push({
      role: threadText === '0' ? role : `${role} (worker thread ${threadText}, e.g. the tsx loader)`,
      file: join(directory, file),
      totalMs: (profile.endTime - profile.startTime) / 1000,
      busyMs,
      hottest,
    });
  }
  return profiles;
}

export function formatProfiles(profiles: ProcessProfile[]): string {
  const lines: string[] = [];
  for (const profile of profiles) {
    const seconds = (milliseconds: number): string => (milliseconds / 1000).toFixed(1);
    lines.push(
      `### CPU profile: ${profile.role} (${seconds(profile.busyMs)} s busy of ${seconds(profile.totalMs)} s, ${profile.file})`,
    );
    lines.push('', '| self ms | self % | function | location |', '|---:|---:|---|---|');
    for (const entry of profile.hottest) {
      lines.push(
        `| ${entry.selfMs.toFixed(0)} | ${entry.percent.toFixed(1)} | ${entry.name} | ${entry.location} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
