// The measured passes: for each billing pass and chunk count the channel is pointed at the mock with
// those controls, then every mode × concurrency cell runs gateway, direct and (with `--peer`) the peer;
// slow-stream cells close the last billing pass, response-cache cells run last.
import { expectedContent } from '../mock-provider/completion-plan.js';
import type { CellKind, CellPass, CellResult } from './cells.js';
import { type LoadResult, type LoadSettings, type LoadTarget, runLoad } from './driver.js';
import {
  type BenchEnvironment,
  benchHost,
  benchModel,
  mockSecret,
  removeChargeRule,
  setMockControls,
  setResponseCache,
  setUpBilling,
} from './environment.js';
import type { BenchMode, BenchOptions } from './options.js';
import { peerTarget } from './peer.js';
import { type ResourceSampler, type ResourceWindow, waitUntilQuiet } from './processes.js';
import { smokeTest, warmCache } from './smoke.js';

/** Slow-stream cells: the mock sends 25 chunks 200 ms apart; users start spread over one stream. */
export const slowStream = { chunks: 25, delayMs: 200, rampMs: 25 * 200 } as const;

export interface PassContext {
  options: BenchOptions;
  environment: BenchEnvironment;
  sampler: ResourceSampler;
  signal: AbortSignal;
  cells: CellResult[];
  log: (line: string) => void;
}

export function requestBody(stream: boolean): string {
  return JSON.stringify({ model: benchModel, messages: [{ role: 'user', content: 'Say hello.' }], stream });
}

const json = { 'content-type': 'application/json' };

export function gatewayTarget(environment: BenchEnvironment, apiKey: string): LoadTarget {
  return {
    name: 'gateway',
    origin: `http://${benchHost}:${environment.apiPort}`,
    path: '/v1/chat/completions',
    headers: { ...json, authorization: `Bearer ${apiKey}` },
  };
}

/** The mock itself with the current control path (read when the cell runs). */
export function directTarget(environment: BenchEnvironment): LoadTarget {
  return {
    name: 'direct',
    origin: `http://${benchHost}:${environment.mockPort}`,
    path: `${environment.mockControlPath}/v1/chat/completions`,
    headers: { ...json, authorization: `Bearer ${mockSecret}` },
  };
}

interface CellSpec {
  pass: CellPass;
  kind: CellKind;
  mode: BenchMode;
  concurrency: number;
  chunks: number;
  chunkDelayMs: number;
  gateway: LoadTarget;
  expectCacheHit: boolean;
  warmupMs: number;
  durationMs: number;
  rampMs: number;
}

/** One measured target: the sampler window spans the run, CPU is also read at the window's edges. */
async function measure(
  context: PassContext,
  target: LoadTarget,
  settings: LoadSettings,
): Promise<{ result: LoadResult; resources: ResourceWindow }> {
  const { sampler } = context;
  await sampler.beginWindow();
  const result = await runLoad(target, {
    ...settings,
    onMeasureStart: () => sampler.markMeasureStart(),
    onMeasureEnd: () => sampler.markMeasureEnd(),
  });
  return { result, resources: await sampler.endWindow() };
}

const cellName = (spec: CellSpec): string =>
  `${spec.pass} ${spec.kind === 'slow' ? 'slow stream' : spec.mode} chunks=${spec.chunks} c=${spec.concurrency}`;

/** Gateway, then direct, then the peer, each after the gateway processes went idle. */
async function runCell(context: PassContext, spec: CellSpec): Promise<void> {
  const { environment, signal, log } = context;
  const gatewayPids = environment.children.filter((child) => child.name !== 'mock').map((child) => child.pid);
  const quiet = async (): Promise<number> => {
    const waited = await waitUntilQuiet(gatewayPids, signal);
    if (waited > 1500) log(`  waited ${(waited / 1000).toFixed(1)} s for the gateway to go idle`);
    return waited;
  };
  const stream = spec.mode === 'stream';
  const settings: LoadSettings = {
    stream,
    concurrency: spec.concurrency,
    warmupMs: spec.warmupMs,
    durationMs: spec.durationMs,
    rampMs: spec.rampMs,
    requestTimeoutMs: context.options.requestTimeoutMs,
    body: requestBody(stream),
    expectedContent: expectedContent(spec.chunks),
    signal,
  };
  const quietBeforeMs = await quiet();
  log(`cell ${cellName(spec)}: gateway`);
  const gateway = await measure(context, spec.gateway, { ...settings, expectCacheHit: spec.expectCacheHit });
  if (signal.aborted) return;
  const quietAfterMs = await quiet();
  log(`cell ${cellName(spec)}: direct`);
  const direct = await measure(context, directTarget(environment), settings);
  if (signal.aborted) return;
  let peer: Awaited<ReturnType<typeof measure>> | null = null;
  if (environment.peer !== null && spec.pass !== 'cache') {
    await quiet();
    log(`cell ${cellName(spec)}: peer`);
    peer = await measure(context, peerTarget(environment), settings);
    if (signal.aborted) return; // an interrupted cell is not reported
  }
  context.cells.push({
    pass: spec.pass,
    kind: spec.kind,
    mode: spec.mode,
    concurrency: spec.concurrency,
    chunks: spec.chunks,
    chunkDelayMs: spec.chunkDelayMs,
    gateway: gateway.result,
    direct: direct.result,
    peer: peer?.result ?? null,
    gatewayResources: gateway.resources,
    directResources: direct.resources,
    peerResources: peer?.resources ?? null,
    quietBeforeMs,
    quietAfterMs,
  });
  const summary = (name: string, result: LoadResult | undefined) =>
    result
      ? `${name} ${result.summary.requestsPerSecond.toFixed(0)} req/s, ${result.summary.errors} errors`
      : null;
  log(
    `  ${[summary('gateway', gateway.result), summary('direct', direct.result), summary('peer', peer?.result)]
      .filter((part) => part !== null)
      .join('; ')}`,
  );
}

/** Points the channel (and the direct and peer targets) at new mock controls; waits until they apply. */
async function useMockControls(
  context: PassContext,
  gateway: LoadTarget,
  chunks: number,
  delayMs: number,
): Promise<void> {
  await setMockControls(context.environment, chunks, delayMs);
  // The workers reload the channel on the announcement: a reply with the new content confirms it.
  await smokeTest(gateway, requestBody(true), expectedContent(chunks), context.signal);
}

/** Every chunks × mode × concurrency cell of one pass. */
async function runGrid(
  context: PassContext,
  pass: CellPass,
  gateway: LoadTarget,
  concurrencies: number[],
  chunkCounts: number[],
): Promise<void> {
  const { options, signal } = context;
  for (const chunks of chunkCounts) {
    if (signal.aborted) return;
    await useMockControls(context, gateway, chunks, options.chunkDelayMs);
    for (const mode of options.modes) {
      for (const concurrency of concurrencies) {
        if (signal.aborted) return;
        await runCell(context, {
          pass,
          kind: 'load',
          mode,
          concurrency,
          chunks,
          chunkDelayMs: options.chunkDelayMs,
          gateway,
          expectCacheHit: pass === 'cache',
          warmupMs: options.warmupSeconds * 1000,
          durationMs: options.durationSeconds * 1000,
          rampMs: 0,
        });
      }
    }
  }
}

/** Many concurrent slow streams (`--slow-streams`), warm-up = ramp + `--warmup`. */
async function runSlowStreams(context: PassContext, pass: CellPass, gateway: LoadTarget): Promise<void> {
  const { options, signal } = context;
  if (options.slowStreams.length === 0 || signal.aborted) return;
  await useMockControls(context, gateway, slowStream.chunks, slowStream.delayMs);
  for (const concurrency of options.slowStreams) {
    if (signal.aborted) return;
    await runCell(context, {
      pass,
      kind: 'slow',
      mode: 'stream',
      concurrency,
      chunks: slowStream.chunks,
      chunkDelayMs: slowStream.delayMs,
      gateway,
      expectCacheHit: false,
      warmupMs: options.warmupSeconds * 1000 + slowStream.rampMs,
      durationMs: options.slowDurationSeconds * 1000,
      rampMs: slowStream.rampMs,
    });
  }
}

/** The billing passes in order (slow streams in the last), then the response-cache cells. */
export async function runPasses(context: PassContext): Promise<void> {
  const { options, environment, signal, log } = context;
  const root = gatewayTarget(environment, environment.apiKey);
  await smokeTest(root, requestBody(true), expectedContent(options.chunks[0]), signal);
  for (const [index, billing] of options.billing.entries()) {
    if (signal.aborted) return;
    const last = index === options.billing.length - 1;
    if (billing === 'off') {
      await runGrid(context, 'billing-off', root, options.concurrencies, options.chunks);
      if (last) await runSlowStreams(context, 'billing-off', root);
      continue;
    }
    const payer = await setUpBilling(environment);
    log(`billed pass: user ${payer.username} (id ${payer.userId}), charge rule ${payer.chargeId}`);
    const payerTarget = gatewayTarget(environment, payer.apiKey);
    try {
      await runGrid(context, 'billing-on', payerTarget, options.concurrencies, options.chunks);
      if (last) await runSlowStreams(context, 'billing-on', payerTarget);
    } finally {
      // root (an admin) would be billed too while the model has a rule, with a zero balance.
      await removeChargeRule(environment, payer.chargeId);
    }
  }
  if (options.cacheConcurrencies.length === 0 || signal.aborted) return;
  log('cache cells: response cache on for the bench model');
  const chunks = options.chunks[0];
  await useMockControls(context, root, chunks, options.chunkDelayMs);
  await setResponseCache(environment, [benchModel]);
  try {
    await warmCache(root, requestBody(false), expectedContent(chunks), signal, log);
    await runGrid(context, 'cache', root, options.cacheConcurrencies, [chunks]);
  } finally {
    if (!signal.aborted) await setResponseCache(environment, []);
  }
}

/** A generous upper bound on the run's length for the watchdog, in milliseconds. */
export function runBudgetMs(options: BenchOptions, withPeer: boolean): number {
  const targets = withPeer ? 3 : 2;
  const tail = options.requestTimeoutMs / 1000 + 5;
  const loadSeconds = options.warmupSeconds + options.durationSeconds + tail;
  const loadCells =
    options.modes.length *
    (options.billing.length * options.chunks.length * options.concurrencies.length +
      options.cacheConcurrencies.length);
  const slowSeconds =
    options.warmupSeconds + slowStream.rampMs / 1000 + options.slowDurationSeconds + tail + 10;
  const setups = options.billing.length * (options.chunks.length + 1) + 2;
  return (
    (300 +
      60 * setups +
      loadSeconds * targets * loadCells +
      slowSeconds * targets * options.slowStreams.length) *
    1000
  );
}
