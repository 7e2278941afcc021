// The bench environment: a fresh database and Redis prefix, the mock provider and gateway children,
// readiness waits, root login + channel + API key setup (rpm limit raised), the mock controls in the
// channel endpoint, the billed pass's paying user and charge rule, the cache switch, and the teardown.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deleteRedisPrefix, dropDatabase } from '../cleanup.js';
import { request } from 'undici';
import type { BenchOptions } from './options.js';
import { type ChildHandle, freePort, spawnNodeChild, stopChild } from './processes.js';

export const benchHost = '127.0.0.1';
export const benchModel = 'gpt-4o-mini';
export const mockSecret = 'sk-mock';
/** The per-user rpm the bench sets (the largest the admin API takes): the limiter stays in the path. */
export const benchRpm = 1_000_000_000;
/** The billed pass's `token-billing` rule: points per 1k prompt / completion tokens. */
export const benchPrice = { input: 1, output: 2 } as const;
/** The billed pass's balance, set with `override`: never runs out during a run. */
export const payingBalance = 1e12;

/** The non-admin user of the billed pass. */
export interface PayingUser {
  username: string;
  userId: number;
  apiKey: string;
  chargeId: number;
}

export interface BenchEnvironment {
  databaseName: string;
  redisPrefix: string;
  mockPort: number;
  apiPort: number;
  /** The path prefix carrying the current mock controls, e.g. `/mock/chunks=20&delay=0`. */
  mockControlPath: string;
  /** The bench's one channel (its endpoint carries the mock controls). */
  channelId: number;
  /** Gateway processes by role (`api`, `workers` or `gateway` for single) plus `mock`. */
  children: ChildHandle[];
  /** The peer gateway (`--peer`), not part of `children` (never counted as ours). */
  peer: ChildHandle | null;
  peerPort: number;
  /** root's API key: an admin, free while the bench model has no charge rule. */
  apiKey: string;
  /** root's JWT for the admin calls. */
  adminToken: string;
  rootUserId: number;
  /** Set by `setUpBilling` for the billed pass. */
  payingUser: PayingUser | null;
  profileDirectory: string | null;
}

export interface EnvironmentPaths {
  repositoryRoot: string;
  outputDirectory: string;
  stamp: string;
}

export async function waitFor(
  description: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  children: ChildHandle[],
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = children.find((child) => child.hasExited());
    if (dead) throw new Error(`${dead.name} exited while waiting for ${description}; see ${dead.logPath}`);
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
}

export async function getStatus(url: string): Promise<number> {
  const response = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
  await response.body.dump();
  return response.statusCode;
}

async function postJson(url: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = token;
  const response = await request(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const parsed = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 200 || parsed.status !== true) {
    throw new Error(`POST ${url} failed: ${response.statusCode} ${JSON.stringify(parsed)}`);
  }
  return parsed;
}

async function getJson(url: string, token: string): Promise<Record<string, unknown>> {
  const response = await request(url, { headers: { authorization: token } });
  const parsed = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 200 || parsed.status !== true) {
    throw new Error(`GET ${url} failed: ${response.statusCode} ${JSON.stringify(parsed)}`);
  }
  return parsed;
}

const apiOriginOf = (environment: BenchEnvironment): string => `http://${benchHost}:${environment.apiPort}`;

async function apiKeyOf(environment: BenchEnvironment, token: string): Promise<string> {
  const body = await getJson(`${apiOriginOf(environment)}/apikey`, token);
  if (typeof body.key !== 'string') throw new Error(`GET /apikey returned no key: ${JSON.stringify(body)}`);
  return body.key;
}

/** The id of the user named exactly `username` (the admin search also matches substrings and emails). */
async function userIdOf(environment: BenchEnvironment, username: string): Promise<number> {
  const body = await getJson(
    `${apiOriginOf(environment)}/admin/user/list?search=${encodeURIComponent(username)}`,
    environment.adminToken,
  );
  const users = ((body.data as { data?: { id: number; username: string }[] } | undefined)?.data ?? []).filter(
    (user) => user.username === username,
  );
  if (users.length !== 1)
    throw new Error(`user ${username} not found in /admin/user/list: ${JSON.stringify(body)}`);
  return users[0].id;
}

/** Raises the user's rpm to `benchRpm` (not 0: the sliding-window check stays on the request path). */
async function raiseRequestLimit(environment: BenchEnvironment, userId: number): Promise<void> {
  const body = await postJson(
    `${apiOriginOf(environment)}/admin/user/limit`,
    { id: userId, rpm: benchRpm },
    environment.adminToken,
  );
  const effective = (body.data as { effective?: { rpm?: number } } | undefined)?.effective;
  if (effective?.rpm !== benchRpm) throw new Error(`rpm limit not applied: ${JSON.stringify(body)}`);
}

/**
 * The billed pass: a `token-billing` rule for the bench model and a non-admin user with a huge
 * balance and a raised rpm; its requests take a MySQL hold before enqueue and settle after the end.
 */
export async function setUpBilling(environment: BenchEnvironment): Promise<PayingUser> {
  const origin = apiOriginOf(environment);
  const charge = await postJson(
    `${origin}/admin/charge/set`,
    { id: -1, type: 'token-billing', models: [benchModel], ...benchPrice },
    environment.adminToken,
  );
  const chargeId = Number((charge.data as { id?: unknown } | undefined)?.id);
  const suffix = randomBytes(4).toString('hex');
  const username = `bench-payer-${suffix}`;
  const registered = await postJson(`${origin}/register`, {
    username,
    password: randomBytes(12).toString('hex'),
    email: `${username}@bench.invalid`,
  });
  const token = String(registered.token);
  const userId = await userIdOf(environment, username);
  await postJson(
    `${origin}/admin/user/quota`,
    { id: userId, quota: payingBalance, override: true },
    environment.adminToken,
  );
  await raiseRequestLimit(environment, userId);
  const payingUser = { username, userId, apiKey: await apiKeyOf(environment, token), chargeId };
  environment.payingUser = payingUser;
  return payingUser;
}

/** Deletes the billed pass's charge rule, so later cells (root's key) run free again. */
export async function removeChargeRule(environment: BenchEnvironment, chargeId: number): Promise<void> {
  await getJson(`${apiOriginOf(environment)}/admin/charge/delete/${chargeId}`, environment.adminToken);
}

/** Turns the response cache on for `models` (empty: off); every process applies it at once. */
export async function setResponseCache(environment: BenchEnvironment, models: string[]): Promise<void> {
  await postJson(
    `${apiOriginOf(environment)}/admin/config/update`,
    { cache: { models, expire: 3600, size: 1 } },
    environment.adminToken,
  );
}

export function mockControlPath(chunks: number, delayMs: number): string {
  return `/mock/chunks=${chunks}&delay=${delayMs}`;
}

/**
 * Points the channel at the mock with new controls (chunk count, delay); the direct and peer targets
 * read `environment.mockControlPath`. Every process reloads its channel snapshot on the announcement;
 * callers confirm with a smoke request that expects the new content.
 */
export async function setMockControls(
  environment: BenchEnvironment,
  chunks: number,
  delayMs: number,
): Promise<void> {
  const path = mockControlPath(chunks, delayMs);
  if (path === environment.mockControlPath) return;
  await postJson(
    `${apiOriginOf(environment)}/admin/channel/update/${environment.channelId}`,
    { endpoint: `http://${benchHost}:${environment.mockPort}${path}` },
    environment.adminToken,
  );
  environment.mockControlPath = path;
}

/** Starts mock + gateway children and configures the gateway; `environment.children` is filled as it goes. */
export async function startEnvironment(
  options: BenchOptions,
  paths: EnvironmentPaths,
  environment: BenchEnvironment,
): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  environment.databaseName = `chatnio_bench_${suffix}`;
  environment.redisPrefix = `bench-${suffix}`;
  environment.mockPort = await freePort();
  environment.apiPort = await freePort();
  environment.mockControlPath = mockControlPath(options.chunks[0], options.chunkDelayMs);
  const logPath = (name: string) => join(paths.outputDirectory, `${paths.stamp}-${name}.log`);

  const mock = spawnNodeChild({
    name: 'mock',
    entry: 'ops/mock-provider/main.ts',
    cwd: paths.repositoryRoot,
    logPath: logPath('mock'),
    environment: {
      MOCK_PROVIDER_PORT: String(environment.mockPort),
      MOCK_PROVIDER_HOST: benchHost,
      MOCK_PROVIDER_MAX_RECORDED: '0',
    },
  });
  environment.children.push(mock);
  const mockOrigin = `http://${benchHost}:${environment.mockPort}`;
  await waitFor(
    'the mock provider',
    30_000,
    async () => (await getStatus(`${mockOrigin}/__mock/health`)) === 200,
    [mock],
  );

  const gatewayEnvironment: Record<string, string> = {
    MYSQL_HOST: benchHost,
    MYSQL_DB: environment.databaseName,
    REDIS_HOST: benchHost,
    REDIS_PREFIX: environment.redisPrefix,
    SERVER_HOST: benchHost,
    SERVER_PORT: String(environment.apiPort),
    LOG_LEVEL: 'warn',
    SECRET: randomBytes(32).toString('hex'),
    SHUTDOWN_GRACE: '5',
  };
  // Empty means unset: an inherited WORKER_CONCURRENCY must not replace the gateway default.
  gatewayEnvironment.WORKER_CONCURRENCY =
    options.workerConcurrency === null ? '' : String(options.workerConcurrency);
  if (options.profile) {
    environment.profileDirectory = join(paths.outputDirectory, 'prof', paths.stamp);
    mkdirSync(environment.profileDirectory, { recursive: true });
  }
  const nodeFlags = environment.profileDirectory
    ? ['--cpu-prof', `--cpu-prof-dir=${environment.profileDirectory}`]
    : [];
  const roles: [string, string][] =
    options.topology === 'split'
      ? [
          ['api', 'api/main.ts'],
          ['workers', 'workers/main.ts'],
        ]
      : [['gateway', 'ops/start.ts']];
  for (const [name, entry] of roles) {
    const child = spawnNodeChild({
      name,
      entry,
      cwd: paths.repositoryRoot,
      logPath: logPath(name),
      environment: gatewayEnvironment,
      nodeFlags,
    });
    environment.children.push(child);
  }
  const apiOrigin = `http://${benchHost}:${environment.apiPort}`;
  await waitFor(
    'gateway /ready',
    90_000,
    async () => (await getStatus(`${apiOrigin}/ready`)) === 200,
    environment.children,
  );

  const login = await postJson(`${apiOrigin}/login`, { username: 'root', password: 'chatnio123456' });
  const token = String(login.token);
  environment.adminToken = token;
  environment.apiKey = await apiKeyOf(environment, token);
  environment.rootUserId = await userIdOf(environment, 'root');
  // Every key has the default `limits.rpm` (100/min); the bench would be throttled at once.
  await raiseRequestLimit(environment, environment.rootUserId);
  const channel = await postJson(
    `${apiOrigin}/admin/channel/create`,
    {
      name: 'mock',
      type: 'openai',
      priority: 0,
      weight: 1,
      models: [benchModel],
      secret: mockSecret,
      endpoint: `${mockOrigin}${environment.mockControlPath}`,
      retry: 1,
    },
    token,
  );
  environment.channelId = Number((channel.data as { id?: unknown } | undefined)?.id);
}

/** Stops children (peer and gateway first, mock last), drops the database and Redis keys; reports but never throws. */
export async function stopEnvironment(
  environment: BenchEnvironment,
  log: (line: string) => void,
): Promise<void> {
  const gateway = environment.children.filter((child) => child.name !== 'mock');
  await Promise.all([
    ...gateway.map((child) => stopChild(child, 10_000)),
    ...(environment.peer ? [stopChild(environment.peer, 5000)] : []),
  ]);
  await Promise.all(
    environment.children.filter((child) => child.name === 'mock').map((child) => stopChild(child, 5000)),
  );
  if (environment.databaseName !== '') {
    await dropDatabase(environment.databaseName, {
      host: benchHost,
      port: 3306,
      user: 'root',
      password: '',
    }).then(
      () => log(`dropped database ${environment.databaseName}`),
      (error) => log(`could not drop database ${environment.databaseName}: ${String(error)}`),
    );
  }
  if (environment.redisPrefix !== '') {
    await deleteRedisPrefix(environment.redisPrefix, { host: benchHost, port: 6379 }).then(
      (count) => log(`deleted ${count} Redis keys under ${environment.redisPrefix}:`),
      (error) => log(`could not delete Redis keys under ${environment.redisPrefix}: ${String(error)}`),
    );
  }
}

export function emptyEnvironment(): BenchEnvironment {
  return {
    databaseName: '',
    redisPrefix: '',
    mockPort: 0,
    apiPort: 0,
    mockControlPath: '',
    channelId: 0,
    children: [],
    peer: null,
    peerPort: 0,
    apiKey: '',
    adminToken: '',
    rootUserId: 0,
    payingUser: null,
    profileDirectory: null,
  };
}
