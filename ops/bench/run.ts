// `npm run bench`: starts mock + gateway on fresh DB/Redis namespaces, runs stream/non-stream cells at
// several concurrencies against the gateway and the mock directly, reports overhead, then tears down.
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { expectedContent } from '../mock-provider/completion-plan.js';
import { type LoadTarget, runLoad } from './driver.js';
import {
  type BenchEnvironment,
  benchHost,
  benchModel,
  emptyEnvironment,
  mockSecret,
  startEnvironment,
  stopEnvironment,
} from './environment.js';
import { type BenchMode, type BenchOptions, parseOptions, usage } from './options.js';
import { formatProfiles, readProfiles } from './profile.js';
import { findProcessByName, ResourceSampler } from './processes.js';
import {
  type CellResult,
  cpuTable,
  errorSamplesText,
  evaluateTargets,
  machineInfo,
  machineLine,
  resultsTable,
  sectionText,
  targetsTable,
  writeResultsSection,
} from './report.js';
import { checkStream } from './response-check.js';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(benchDirectory, '..', '..');
const outputDirectory = join(benchDirectory, 'out');
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function requestBody(stream: boolean): string {
  return JSON.stringify({ model: benchModel, messages: [{ role: 'user', content: 'Say hello.' }], stream });
}

function targets(environment: BenchEnvironment): { gateway: LoadTarget; direct: LoadTarget } {
  const json = { 'content-type': 'application/json' };
  return {
    gateway: {
      name: 'gateway',
      origin: `http://${benchHost}:${environment.apiPort}`,
      path: '/v1/chat/completions',
      headers: { ...json, authorization: `Bearer ${environment.apiKey}` },
    },
    direct: {
      name: 'direct',
      origin: `http://${benchHost}:${environment.mockPort}`,
      path: `${environment.mockControlPath}/v1/chat/completions`,
      headers: { ...json, authorization: `Bearer ${mockSecret}` },
    },
  };
}

/** One streamed request through the gateway must succeed (workers up, channel loaded) before cells run. */
async function smokeTest(target: LoadTarget, expected: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastProblem = '';
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const response = await request(`${target.origin}${target.path}`, {
        method: 'POST',
        headers: target.headers,
        body: requestBody(true),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        signal,
      });
      const checked = await checkStream(response, expected);
      if (checked.ok) return;
      lastProblem = `${checked.errorKind}: ${checked.detail}`;
    } catch (error) {
      lastProblem = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  throw new Error(`gateway smoke request never succeeded: ${lastProblem}`);
}

async function runCells(
  options: BenchOptions,
  environment: BenchEnvironment,
  sampler: ResourceSampler,
  signal: AbortSignal,
  cells: CellResult[],
): Promise<void> {
  const { gateway, direct } = targets(environment);
  const expected = expectedContent(options.chunks);
  await smokeTest(gateway, expected, signal);
  for (const mode of options.modes) {
    for (const concurrency of options.concurrencies) {
      if (signal.aborted) return;
      const stream = mode === 'stream';
      const settings = {
        stream,
        concurrency,
        warmupMs: options.warmupSeconds * 1000,
        durationMs: options.durationSeconds * 1000,
        requestTimeoutMs: options.requestTimeoutMs,
        body: requestBody(stream),
        expectedContent: expected,
        signal,
      };
      log(`cell ${mode} c=${concurrency}: gateway`);
      await sampler.beginWindow();
      const gatewayResult = await runLoad(gateway, settings);
      const gatewayResources = await sampler.endWindow();
      if (signal.aborted) return;
      log(`cell ${mode} c=${concurrency}: direct`);
      await sampler.beginWindow();
      const directResult = await runLoad(direct, settings);
      const directResources = await sampler.endWindow();
      if (signal.aborted) return; // an interrupted cell is not reported
      const cell: CellResult = {
        mode: mode as BenchMode,
        concurrency,
        gateway: gatewayResult,
        direct: directResult,
        gatewayResources,
        directResources,
      };
      cells.push(cell);
      log(
        `  gateway ${gatewayResult.summary.requestsPerSecond.toFixed(0)} req/s, ${gatewayResult.summary.errors} errors; ` +
          `direct ${directResult.summary.requestsPerSecond.toFixed(0)} req/s, ${directResult.summary.errors} errors`,
      );
    }
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) {
    console.log(usage);
    return 0;
  }
  mkdirSync(outputDirectory, { recursive: true });
  const startedAt = new Date();
  const machine = machineInfo();
  log(`machine: ${machineLine(machine)}`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const environment = emptyEnvironment();
  const abort = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(100_000, abort.signal);
  const cells: CellResult[] = [];
  let interrupted = false;

  const cellSeconds = options.warmupSeconds + options.durationSeconds + options.requestTimeoutMs / 1000 + 5;
  const budgetMs = (240 + cellSeconds * 2 * options.modes.length * options.concurrencies.length) * 1000;
  const watchdog = setTimeout(() => {
    log(`watchdog: run exceeded ${Math.round(budgetMs / 1000)} s, aborting`);
    interrupted = true;
    abort.abort();
  }, budgetMs);
  watchdog.unref();
  const onSignal = (signal: string): void => {
    if (interrupted) {
      log(`second ${signal}: killing children and exiting`);
      for (const child of environment.children) child.child.kill('SIGKILL');
      process.exit(130);
    }
    log(`${signal}: stopping load and tearing down (again to force)`);
    interrupted = true;
    abort.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  let failure: unknown = null;
  let sampler: ResourceSampler | null = null;
  try {
    log(`starting mock and gateway (topology ${options.topology})`);
    await startEnvironment(options, { repositoryRoot, outputDirectory, stamp }, environment);
    const pids: Record<string, number> = { driver: process.pid };
    for (const child of environment.children) pids[child.name] = child.pid;
    // Local Redis and MariaDB share the CPUs too; sampled when visible in /proc.
    const redisPid = await findProcessByName(['redis-server']);
    if (redisPid !== null) pids.redis = redisPid;
    const mariadbPid = await findProcessByName(['mariadbd', 'mysqld']);
    if (mariadbPid !== null) pids.mariadb = mariadbPid;
    sampler = new ResourceSampler(pids, 500);
    sampler.start();
    log(
      `database ${environment.databaseName}, redis prefix ${environment.redisPrefix}, api :${environment.apiPort}, mock :${environment.mockPort}`,
    );
    await runCells(options, environment, sampler, abort.signal, cells);
  } catch (error) {
    failure = error;
  } finally {
    sampler?.stop();
    log('tearing down');
    await stopEnvironment(environment, log);
    clearTimeout(watchdog);
  }
  for (const child of environment.children) log(`${child.name} log: ${child.logPath}`);

  if (cells.length > 0) {
    console.log(
      `\n${resultsTable(cells)}\n\nCPU use during each run (% of one core; redis and mariadb columns are for the gateway run):\n\n${cpuTable(cells)}\n`,
    );
    console.log(`${targetsTable(evaluateTargets(cells))}\n`);
    const errors = errorSamplesText(cells);
    if (errors !== '') console.log(`Error samples:\n${errors}\n`);
    const jsonPath = join(outputDirectory, `${stamp}.json`);
    await writeFile(
      jsonPath,
      JSON.stringify(
        {
          startedAt,
          options,
          machine,
          environment: {
            ...environment,
            children: environment.children.map((child) => ({
              name: child.name,
              pid: child.pid,
              log: child.logPath,
            })),
          },
          cells,
        },
        null,
        2,
      ),
    );
    log(`wrote ${jsonPath}`);
    if (options.writeResults && !interrupted && failure === null) {
      await writeResultsSection(
        join(benchDirectory, 'RESULTS.md'),
        sectionText(options, machine, startedAt, cells),
      );
      log('updated ops/bench/RESULTS.md');
    }
  }
  if (environment.profileDirectory !== null) {
    const roles = new Map(environment.children.map((child) => [child.pid, child.name] as [number, string]));
    try {
      console.log(formatProfiles(await readProfiles(environment.profileDirectory, roles, repositoryRoot)));
    } catch (error) {
      log(`could not read CPU profiles: ${String(error)}`);
    }
  }
  if (failure !== null) {
    log(`failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
    return 1;
  }
  return interrupted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`crashed: ${String(error)}`);
    process.exit(1);
  },
);
