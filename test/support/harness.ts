// One running gateway per test run, started on first use: the mock provider, a worker pool
// and the api in this process, on the run's own database and Redis prefix.
import { type ApiServer, startApiServer } from '../../api/server.js';
import { config } from '../../shared/config.js';
import { closeDb, db } from '../../shared/db.js';
import { migrateAndSeed } from '../../shared/migrate.js';
import { type MockProvider, startMockProvider } from '../../ops/mock-provider/server.js';
import { startWorkerPool, type WorkerPool } from '../../workers/pool.js';
import { deleteRedisPrefix, dropDatabase } from './cleanup.js';
import { testEnvironment } from './environment.js';

export interface Harness {
  api: ApiServer;
  pool: WorkerPool;
  mock: MockProvider;
  url: string;
  rootToken: string;
  rootKey: string;
}

let started: Promise<Harness> | undefined;

export function harness(): Promise<Harness> {
  started ??= start();
  return started;
}

async function start(): Promise<Harness> {
  await migrateAndSeed();
  const mock = await startMockProvider({ port: 0 });
  const pool = await startWorkerPool();
  const api = await startApiServer(0, '127.0.0.1');
  const login = await postJson(api.url, '/login', {
    username: 'root',
    password: testEnvironment.ROOT_PASSWORD,
  });
  const rootToken = String(login.token);
  const keyResponse = await fetch(`${api.url}/apikey`, { headers: { authorization: rootToken } });
  const rootKey = String(((await keyResponse.json()) as { key: string }).key);
  return { api, pool, mock, url: api.url, rootToken, rootKey };
}

export async function stopHarness(): Promise<void> {
  if (started) {
    const running = await started.catch(() => undefined);
    started = undefined;
    if (running) {
      await running.api.stop(1000);
      await running.pool.close(1000);
      await running.mock.close();
    }
  }
  await closeDb();
  await dropDatabase(config().MYSQL_DB);
  await deleteRedisPrefix(config().REDIS_PREFIX);
}

export async function postJson(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

let channelCounter = 0;

/** Creates a channel through the admin API; endpoint defaults to the mock provider. */
export async function createChannel(
  h: Harness,
  input: Record<string, unknown> & { models: string[] },
): Promise<number> {
  channelCounter += 1;
  const result = await postJson(
    h.url,
    '/admin/channel/create',
    {
      name: `channel-${channelCounter}`,
      type: 'openai',
      secret: 'sk-upstream-test',
      endpoint: h.mock.url,
      ...input,
    },
    { authorization: h.rootToken },
  );
  if (!result.status) throw new Error(`channel create failed: ${JSON.stringify(result)}`);
  return Number((result.data as { id: number }).id);
}

/** A model name no other test uses, so tests never share channels. */
export function uniqueModel(label: string): string {
  channelCounter += 1;
  return `${label}-${channelCounter}-${Date.now().toString(36)}`;
}

export { db };
