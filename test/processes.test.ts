// Process-level behaviour with real child processes: concurrent first starts migrate once,
// a killed worker gives the client an error instead of a hang, and SIGTERM drains streams.
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import knexModule from 'knex';
import { releaseStaleHolds } from '../shared/billing/settle.js';
import { knexConfig } from '../shared/db.js';
import { startMockProvider, type MockProvider } from '../ops/mock-provider/server.js';
import { deleteRedisPrefix, dropDatabase } from './support/cleanup.js';
import { testEnvironment } from './support/environment.js';
import { postJson } from './support/harness.js';
import { createPayingUserIn } from './support/users.js';
import {
  type Child,
  freePort,
  readUntil,
  spawnEntry,
  stopChild,
  waitForLine,
  waitForReady,
} from './support/processes.js';

describe('processes', function () {
  this.timeout(60_000);
  const database = `${testEnvironment.MYSQL_DB}_proc`;
  const prefix = `${testEnvironment.REDIS_PREFIX}-proc`;
  const env = { MYSQL_DB: database, REDIS_PREFIX: prefix, LOG_LEVEL: 'info' };
  const children: Child[] = [];
  let mock: MockProvider;

  before(async () => {
    mock = await startMockProvider({ port: 0 });
  });

  after(async () => {
    await Promise.all(children.map((child) => stopChild(child, 'SIGKILL')));
    await mock.close();
    await dropDatabase(database);
    await deleteRedisPrefix(prefix);
  });

  const spawn = (entry: string, overrides: Record<string, string> = {}) => {
    const child = spawnEntry(entry, { ...env, ...overrides });
    children.push(child);
    return child;
  };

  async function setup(url: string, model: string, endpoint: string): Promise<string> {
    const login = await postJson(url, '/login', {
      username: 'root',
      password: testEnvironment.ROOT_PASSWORD,
    });
    const token = String(login.token);
    const created = await postJson(
      url,
      '/admin/channel/create',
      { name: model, type: 'openai', models: [model], secret: 'sk-x', endpoint },
      { authorization: token },
    );
    assert.equal(created.status, true, JSON.stringify(created));
    const key = await fetch(`${url}/apikey`, { headers: { authorization: token } });
    return String(((await key.json()) as { key: string }).key);
  }

  function openStream(url: string, key: string, model: string) {
    return fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  it('two processes starting at once on an empty database migrate and seed exactly once', async () => {
    await dropDatabase(database);
    const first = spawn('ops/migrate.ts');
    const second = spawn('ops/migrate.ts');
    assert.deepEqual(
      await Promise.all([first.exited, second.exited]),
      [0, 0],
      first.output() + second.output(),
    );
    const knex = knexModule(knexConfig(database));
    try {
      const [{ users }] = await knex('auth').count({ users: '*' });
      assert.equal(Number(users), 1);
      const [{ migrations }] = await knex('knex_migrations').count({ migrations: '*' });
      assert.ok(Number(migrations) >= 12);
    } finally {
      await knex.destroy();
    }
  });

  it('a worker killed mid-stream gives the client worker_lost; its job is failed, never re-run; what reached the client is billed at once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const shortLocks = { JOB_LOCK_DURATION: '2', STALLED_CHECK_INTERVAL: '0.5' };
    const workers = spawn('workers/main.ts', shortLocks);
    const api = spawn('api/main.ts', { SERVER_PORT: String(port), SERVER_HOST: '127.0.0.1' });
    await waitForReady(url, api);
    await waitForLine(workers, /workers ready/);
    const model = 'crash-model';
    await setup(url, model, `${mock.url}/mock/chunks=200&delay=100`);
    const login = await postJson(url, '/login', {
      username: 'root',
      password: testEnvironment.ROOT_PASSWORD,
    });
    await postJson(
      url,
      '/admin/charge/set',
      { id: -1, type: 'token-billing', models: [model], input: 1, output: 1 },
      { authorization: String(login.token) },
    );
    const knex = knexModule(knexConfig(database));
    const payer = await createPayingUserIn(knex, 100);
    const response = await openStream(url, payer.key, model);
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    let text = await readUntil(reader, (t) => t.includes('"content":"w1 "'));
    workers.process.kill('SIGKILL');
    text = await readUntil(reader, (t) => t.includes('"error"'), text);
    assert.match(text, /"code":"worker_lost"/);
    assert.ok(!text.includes('[DONE]'));
    // A new worker's stall check fails the dead worker's job once its lock expired; never re-runs it.
    const jobId = String(response.headers.get('x-request-id'));
    const replacement = spawn('workers/main.ts', shortLocks);
    await waitForLine(replacement, /workers ready/);
    const queue = new Queue('chat', {
      connection: { host: '127.0.0.1', port: 6379 },
      prefix: `${prefix}:bull`,
    });
    try {
      let state = await queue.getJobState(jobId);
      for (let i = 0; i < 100 && state !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        state = await queue.getJobState(jobId);
      }
      assert.equal(state, 'failed');
      const job = await queue.getJob(jobId);
      assert.match(job?.failedReason ?? '', /stalled/i);
      // The api settled at once what reached the client (no waiting for the sweeper).
      const hold = await knex('quota_hold').where('request_id', jobId).first();
      assert.equal(hold.state, 'settled');
      const record = await knex('usage_record').where('request_id', jobId).first();
      assert.equal(record.end_reason, 'worker_lost');
      assert.ok(record.completion_tokens > 0, 'the delivered words are counted');
      assert.ok(Number(record.cost) > 0);
      const balance = await knex('quota').where('user_id', payer.id).first();
      assert.equal(Number(hold.charged), Number(record.cost));
      assert.equal(Number(balance.used), Number(record.cost));
      assert.equal(Number(balance.quota) + Number(balance.used), 100, 'the rest of the hold went back');
      const isRunning = async (id: string) => ['active', 'waiting'].includes(await queue.getJobState(id));
      assert.equal(await releaseStaleHolds(knex, 0, isRunning), 0, 'nothing left for the sweeper');
    } finally {
      await queue.close();
      await knex.destroy();
    }
    await stopChild(api);
  });

  it('SIGTERM lets a running stream finish, then exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const app = spawn('ops/start.ts', { SERVER_PORT: String(port), SERVER_HOST: '127.0.0.1' });
    await waitForReady(url, app);
    const model = 'drain-model';
    const key = await setup(url, model, `${mock.url}/mock/chunks=10&delay=100`);
    const response = await openStream(url, key, model);
    const reader = response.body!.getReader();
    const first = await readUntil(reader, (t) => t.includes('"content":"w0 "'));
    app.process.kill('SIGTERM');
    const text = await readUntil(reader, (t) => t.includes('[DONE]'), first);
    assert.match(text, /"content":"w9 "/);
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    assert.equal(await app.exited, 0, app.output());
  });
});
