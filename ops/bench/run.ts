// `npm run bench`: starts mock + gateway (and `--peer`) on fresh DB/Redis namespaces, runs the passes
// (paid path by default; see passes.ts) against the gateway, the mock directly and the peer, reports
// overhead, peer ratios, CPU per chunk, slow streams and the targets, then tears everything down.
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../shared/config.js';
import { expectedContent } from '../mock-provider/completion-plan.js';
import type { CellResult } from './cells.js';
import { emptyEnvironment, startEnvironment, stopEnvironment } from './environment.js';
import { parseOptions, usage } from './options.js';
import { requestBody, runBudgetMs, runPasses } from './passes.js';
import { ensurePortkey, peerTarget, portkeyVersion, startPortkey } from './peer.js';
import { findProcessByName, openFilesLimit, ResourceSampler } from './processes.js';
import { formatProfiles, readProfiles } from './profile.js';
import {
  codeLine,
  codeVersion,
  limitText,
  machineInfo,
  machineLine,
  type RunFacts,
  reportBody,
  sectionText,
  writeResultsSection,
} from './report.js';
import { smokeTest } from './smoke.js';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(benchDirectory, '..', '..');
const outputDirectory = join(benchDirectory, 'out');
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

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
  const facts: RunFacts = {
    workerConcurrency: options.workerConcurrency ?? parseConfig({}).WORKER_CONCURRENCY,
    openFilesLimit: await openFilesLimit(),
    peer: null,
  };
  // Every process holds about one descriptor per concurrent connection (plus its own few hundred).
  const widest = Math.max(...options.concurrencies, ...options.slowStreams, ...options.cacheConcurrencies);
  log(`open-files limit (ulimit -n): ${limitText(facts.openFilesLimit)}`);
  if (facts.openFilesLimit !== null && facts.openFilesLimit < widest + 500)
    log(`warning: ulimit -n ${facts.openFilesLimit} may limit ${widest} concurrent connections`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const environment = emptyEnvironment();
  const abort = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(100_000, abort.signal);
  const cells: CellResult[] = [];
  let interrupted = false;

  const budgetMs = runBudgetMs(options, options.peer !== null);
  const watchdog = setTimeout(() => {
    log(`watchdog: run exceeded ${Math.round(budgetMs / 1000)} s, aborting`);
    interrupted = true;
    abort.abort();
  }, budgetMs);
  watchdog.unref();
  const onSignal = (signal: string): void => {
    if (interrupted) {
      log(`second ${signal}: killing children and exiting`);
      for (const child of [...environment.children, ...(environment.peer ? [environment.peer] : [])])
        child.child.kill('SIGKILL');
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
    const peerFolder = options.peer === null ? null : await ensurePortkey(repositoryRoot, log);
    log(`starting mock and gateway (topology ${options.topology})`);
    await startEnvironment(options, { repositoryRoot, outputDirectory, stamp }, environment);
    if (peerFolder !== null) {
      log('starting the peer (portkey)');
      await startPortkey(peerFolder, join(outputDirectory, `${stamp}-peer.log`), environment);
      await smokeTest(
        peerTarget(environment),
        requestBody(true),
        expectedContent(options.chunks[0]),
        abort.signal,
      );
      facts.peer = `@portkey-ai/gateway@${portkeyVersion} (${peerFolder}, headless, :${environment.peerPort})`;
    }
    const pids: Record<string, number> = { driver: process.pid };
    for (const child of environment.children) pids[child.name] = child.pid;
    if (environment.peer !== null) pids.peer = environment.peer.pid;
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
    await runPasses({ options, environment, sampler, signal: abort.signal, cells, log });
  } catch (error) {
    failure = error;
  } finally {
    sampler?.stop();
    log('tearing down');
    await stopEnvironment(environment, log);
    clearTimeout(watchdog);
  }
  for (const child of [...environment.children, ...(environment.peer ? [environment.peer] : [])])
    log(`${child.name} log: ${child.logPath}`);

  if (cells.length > 0) {
    console.log(`\n${reportBody(cells, options, facts).join('\n')}`);
    const jsonPath = join(outputDirectory, `${stamp}.json`);
    const handle = (child: { name: string; pid: number; logPath: string }) => ({
      name: child.name,
      pid: child.pid,
      log: child.logPath,
    });
    await writeFile(
      jsonPath,
      JSON.stringify(
        {
          startedAt,
          options,
          machine,
          code,
          facts,
          environment: {
            ...environment,
            adminToken: undefined,
            children: environment.children.map(handle),
            peer: environment.peer ? handle(environment.peer) : null,
          },
          cells,
        },
        (_, value) => (value === Number.POSITIVE_INFINITY ? 'unlimited' : value),
        2,
      ),
    );
    log(`wrote ${jsonPath}`);
    if (options.writeResults && !interrupted && failure === null) {
      await writeResultsSection(
        join(benchDirectory, 'RESULTS.md'),
        sectionText(options, machine, code, startedAt, cells, facts),
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
