// `npm run bench`: starts mock + gateway on fresh DB/Redis namespaces, runs stream/non-stream cells at
// several concurrencies against the gateway and the mock directly, once unbilled (root) and once billed
// (a paying user), then the response-cache hit cells; reports overhead and what billing costs, then
// tears down.
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
  removeChargeRule,
  setResponseCache,
  setUpBilling,
  startEnvironment,
  stopEnvironment,
} from './environment.js';
import { type BenchMode, type BenchOptions, parseOptions, usage } from './options.js';
import { formatProfiles, readProfiles } from './profile.js';
import { findProcessByName, ResourceSampler, waitUntilQuiet } from './processes.js';
import {
  type CellPass,
  type CellResult,
  codeLine,
  codeVersion,
  machineInfo,
  machineLine,
  passLabels,
  reportBody,
  sectionText,
  writeResultsSection,
} from './report.js';
import { checkJson, checkStream } from './response-check.js';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(benchDirectory, '..', '..');
const outputDirectory = join(benchDirectory, 'out');
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function requestBody(stream: boolean): string {
  return JSON.stringify({ model: benchModel, messages: [{ role: 'user', content: 'Say hello.' }], stream });
}

const json = { 'content-type': 'application/json' };

function gatewayTarget(environment: BenchEnvironment, apiKey: string): LoadTarget {
  return {
    name: 'gateway',
    origin: `http://${benchHost}:${environment.apiPort}`,
    path: '/v1/chat/completions',
    headers: { ...json, authorization: `Bearer ${apiKey}` },
  };
}

function directTarget(environment: BenchEnvironment): LoadTarget {
  return {
    name: 'direct',
    origin: `http://${benchHost}:${environment.mockPort}`,
    path: `${environment.mockControlPath}/v1/chat/completions`,
    headers: { ...json, authorization: `Bearer ${mockSecret}` },
  };
}

async function sendOnce(target: LoadTarget, stream: boolean, signal: AbortSignal) {
  return request(`${target.origin}${target.path}`, {
    method: 'POST',
    headers: target.headers,
    body: requestBody(stream),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    signal,
  });
}

/** One streamed request through the gateway must succeed (workers up, channel loaded) before cells run. */
async function smokeTest(target: LoadTarget, expected: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastProblem = '';
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const checked = await checkStream(await sendOnce(target, true, signal), expected);
      if (checked.ok) return;
      lastProblem = `${checked.errorKind}: ${checked.detail}`;
    } catch (error) {
      lastProblem = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  throw new Error(`gateway smoke request never succeeded: ${lastProblem}`);
}

/**
 * Fills the response cache: one request misses and the worker stores its answer right after it
 * finished, so the same body is re-sent until a complete answer comes back with `x-cache: hit`.
 */
async function warmCache(target: LoadTarget, expected: string, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  const deadline = Date.now() + 10_000;
  let lastProblem = '';
  for (let attempt = 1; Date.now() < deadline && !signal.aborted; attempt++) {
    try {
      const response = await sendOnce(target, false, signal);
      const hit = response.headers['x-cache'] === 'hit';
      const checked = await checkJson(response, expected);
      if (checked.ok && hit) {
        log(`  cache warm after ${attempt} requests, ${(performance.now() - started).toFixed(0)} ms`);
        return;
      }
      lastProblem = checked.ok ? 'answer without x-cache: hit' : `${checked.errorKind}: ${checked.detail}`;
    } catch (error) {
      lastProblem = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
  throw new Error(`the response cache never answered a hit: ${lastProblem}`);
}

interface GridRun {
  pass: CellPass;
  gateway: LoadTarget;
  concurrencies: number[];
  expectCacheHit: boolean;
}

/** Runs every mode × concurrency cell of one pass: the gateway, then the mock directly. */
async function runGrid(
  run: GridRun,
  options: BenchOptions,
  environment: BenchEnvironment,
  sampler: ResourceSampler,
  signal: AbortSignal,
  cells: CellResult[],
): Promise<void> {
  const direct = directTarget(environment);
  const expected = expectedContent(options.chunks);
  const label = passLabels[run.pass];
  const gatewayPids = environment.children.filter((child) => child.name !== 'mock').map((child) => child.pid);
  /** Lets the gateway finish work left by the previous run (e.g. cache hits' queued usage rows). */
  const quiet = async (): Promise<number> => {
    const waited = await waitUntilQuiet(gatewayPids, signal);
    if (waited > 1500) log(`  waited ${(waited / 1000).toFixed(1)} s for the gateway to go idle`);
    return waited;
  };
  for (const mode of options.modes) {
    for (const concurrency of run.concurrencies) {
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
      const quietBeforeMs = await quiet();
      log(`cell ${label} ${mode} c=${concurrency}: gateway`);
      await sampler.beginWindow();
      const gatewayResult = await runLoad(run.gateway, { ...settings, expectCacheHit: run.expectCacheHit });
      const gatewayResources = await sampler.endWindow();
      if (signal.aborted) return;
      const quietAfterMs = await quiet();
      log(`cell ${label} ${mode} c=${concurrency}: direct`);
      await sampler.beginWindow();
      const directResult = await runLoad(direct, settings);
      const directResources = await sampler.endWindow();
      if (signal.aborted) return; // an interrupted cell is not reported
      cells.push({
        pass: run.pass,
        mode: mode as BenchMode,
        concurrency,
        gateway: gatewayResult,
        direct: directResult,
        gatewayResources,
        directResources,
        quietBeforeMs,
        quietAfterMs,
      });
      log(
        `  gateway ${gatewayResult.summary.requestsPerSecond.toFixed(0)} req/s, ${gatewayResult.summary.errors} errors; ` +
          `direct ${directResult.summary.requestsPerSecond.toFixed(0)} req/s, ${directResult.summary.errors} errors`,
      );
    }
  }
}

/** The billing passes in order, then the response-cache cells (last, so nothing else sees the cache). */
async function runCells(
  options: BenchOptions,
  environment: BenchEnvironment,
  sampler: ResourceSampler,
  signal: AbortSignal,
  cells: CellResult[],
): Promise<void> {
  const expected = expectedContent(options.chunks);
  const root = gatewayTarget(environment, environment.apiKey);
  await smokeTest(root, expected, signal);
  for (const billing of options.billing) {
    if (signal.aborted) return;
    const grid = { concurrencies: options.concurrencies, expectCacheHit: false };
    if (billing === 'off') {
      await runGrid(
        { ...grid, pass: 'billing-off', gateway: root },
        options,
        environment,
        sampler,
        signal,
        cells,
      );
      continue;
    }
    const payer = await setUpBilling(environment);
    log(`billed pass: user ${payer.username} (id ${payer.userId}), charge rule ${payer.chargeId}`);
    const payerTarget = gatewayTarget(environment, payer.apiKey);
    try {
      await smokeTest(payerTarget, expected, signal);
      await runGrid(
        { ...grid, pass: 'billing-on', gateway: payerTarget },
        options,
        environment,
        sampler,
        signal,
        cells,
      );
    } finally {
      // root (an admin) would be billed too while the model has a rule, with a zero balance.
      await removeChargeRule(environment, payer.chargeId);
    }
  }
  if (options.cacheConcurrencies.length === 0 || signal.aborted) return;
  log('cache cells: response cache on for the bench model');
  await setResponseCache(environment, [benchModel]);
  try {
    await warmCache(root, expected, signal);
    await runGrid(
      { pass: 'cache', gateway: root, concurrencies: options.cacheConcurrencies, expectCacheHit: true },
      options,
      environment,
      sampler,
      signal,
      cells,
    );
  } finally {
    if (!signal.aborted) await setResponseCache(environment, []);
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
  const code = codeVersion(repositoryRoot);
  log(`code: ${codeLine(code)}`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const environment = emptyEnvironment();
  const abort = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(100_000, abort.signal);
  const cells: CellResult[] = [];
  let interrupted = false;

  const cellSeconds = options.warmupSeconds + options.durationSeconds + options.requestTimeoutMs / 1000 + 5;
  const cellCount =
    options.modes.length *
    (options.billing.length * options.concurrencies.length + options.cacheConcurrencies.length);
  const budgetMs = (240 + 60 * options.billing.length + cellSeconds * 2 * cellCount) * 1000;
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
    console.log(`\n${reportBody(cells, options).join('\n')}`);
    const jsonPath = join(outputDirectory, `${stamp}.json`);
    await writeFile(
      jsonPath,
      JSON.stringify(
        {
          startedAt,
          options,
          machine,
          code,
          environment: {
            ...environment,
            adminToken: undefined,
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
        sectionText(options, machine, code, startedAt, cells),
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
