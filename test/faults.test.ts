// Faults under load, in split mode (api and workers as separate processes on a private Redis
// and a private MariaDB): the worker, then Redis, then MariaDB are SIGKILLed and restarted
// while clients stream and collect answers. Afterwards every complete answer the clients saw
// has exactly one usage row that ended complete and is charged what the client was shown;
// answers that ended in an error are never billed as complete; refused requests cost nothing;
// the balance moved by exactly the sum of the rows; no hold is left for the sweeper.
import assert from 'node:assert/strict';
import knexModule, { type Knex } from 'knex';
import { knexConfig } from '../shared/db.js';
import { startMockProvider, type MockProvider } from '../ops/mock-provider/server.js';
import { testEnvironment } from './support/environment.js';
import { postJson } from './support/harness.js';
import { type PrivateService, startPrivateMariadb, startPrivateRedis } from './support/private-services.js';
import {
  type Child,
  freePort,
  spawnEntry,
  stopChild,
  waitForLine,
  waitForReady,
} from './support/processes.js';
import { createPayingUserIn, type TestUser } from './support/users.js';

type Kind = 'complete' | 'partial' | 'refused' | 'network';

interface Outcome {
  kind: Kind;
  id: string | null;
  stream: boolean;
  status: number;
  code: string | null;
  retryAfter: string | null;
  /** The cost the client was shown (Chat Nio's `quota` field). */
  quota: number | null;
  phase: string;
  startedAt: number;
}

const COMPLETE_REASONS = new Set(['stop', 'length', 'tool_calls']);
const BALANCE = 10_000;

function parseSse(text: string) {
  let deltas = 0;
  let error: { code?: string } | null = null;
  let quota: number | null = null;
  const done = text.includes('data: [DONE]');
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const frame = JSON.parse(line.slice(6)) as {
      error?: { code?: string };
      choices?: { delta?: { content?: string } }[];
      quota?: number;
    };
    if (frame.error) error = frame.error;
    if (frame.choices?.some((choice) => choice.delta?.content)) deltas += 1;
    if (typeof frame.quota === 'number') quota = frame.quota;
  }
  return { deltas, error, quota, done };
}

describe('faults: worker, Redis and MariaDB killed under load', function () {
  this.timeout(300_000);
  const database = 'chatnio_faults';
  const prefix = `${testEnvironment.REDIS_PREFIX}-faults`;
  let redis: PrivateService;
  let mariadb: PrivateService;
  let mock: MockProvider;
  let api: Child;
  let worker: Child | null = null;
  let knex: Knex;
  let url: string;
  let env: Record<string, string>;
  let payer: TestUser;
  const model = 'fault-model';

  const startWorker = async () => {
    worker = spawnEntry('workers/main.ts', { ...env, LOG_LEVEL: 'info' });
    await waitForLine(worker, /workers ready/);
  };

  before(async () => {
    [redis, mariadb] = await Promise.all([startPrivateRedis(), startPrivateMariadb()]);
    mock = await startMockProvider({ port: 0 });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      MYSQL_PORT: String(mariadb.port),
      MYSQL_DB: database,
      REDIS_PORT: String(redis.port),
      REDIS_PREFIX: prefix,
      SERVER_PORT: String(port),
      SERVER_HOST: '127.0.0.1',
      JOB_LOCK_DURATION: '2',
      STALLED_CHECK_INTERVAL: '0.5',
      // Keys stay known in memory while MariaDB is down, as a busy site's would.
      AUTH_CACHE_TTL: '600',
      LOG_LEVEL: 'error',
    };
    api = spawnEntry('api/main.ts', env);
    await waitForReady(url, api);
    await startWorker();
    const login = await postJson(url, '/login', {
      username: 'root',
      password: testEnvironment.ROOT_PASSWORD,
    });
    const token = String(login.token);
    const channel = await postJson(
      url,
      '/admin/channel/create',
      {
        name: 'mock',
        type: 'openai',
        models: [model],
        secret: 'sk-fault',
        endpoint: `${mock.url}/mock/chunks=20&delay=8`,
        retry: 1,
      },
      { authorization: token },
    );
    assert.equal(channel.status, true, JSON.stringify(channel));
    const rule = { id: -1, type: 'token-billing', models: [model], input: 1, output: 2 };
    assert.equal((await postJson(url, '/admin/charge/set', rule, { authorization: token })).status, true);
    const base = knexConfig(database);
    const quiet = { warn() {}, error() {}, debug() {}, deprecate() {} };
    knex = knexModule({
      ...base,
      connection: { ...(base.connection as object), port: mariadb.port },
      log: quiet,
    });
    payer = await createPayingUserIn(knex, BALANCE, 'faults');
    // The paid path with limits on, raised above what this load sends.
    await knex('user_limit').insert({ user_id: payer.id, rpm: 100_000, tpm: 0, concurrency: 100 });
  });

  after(async () => {
    await Promise.all([api, worker].filter(Boolean).map((child) => stopChild(child as Child, 'SIGKILL')));
    await knex?.destroy();
    await mock?.close();
    await Promise.all([redis?.stop(), mariadb?.stop()]);
  });

  async function request(stream: boolean, phase: string): Promise<Outcome> {
    const startedAt = Date.now();
    const base = { stream, phase, startedAt, quota: null, code: null, retryAfter: null };
    let response: Response;
    try {
      response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${payer.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          stream,
          max_tokens: 200,
          messages: [{ role: 'user', content: 'hello there' }],
        }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      return { ...base, kind: 'network', id: null, status: 0 };
    }
    const id = response.headers.get('x-request-id');
    const retryAfter = response.headers.get('retry-after');
    const text = await response.text().catch(() => '');
    if (response.status !== 200) {
      const code = (JSON.parse(text || '{}') as { error?: { code?: string } }).error?.code ?? null;
      return { ...base, kind: 'refused', id, status: response.status, code, retryAfter };
    }
    if (!stream) {
      const body = JSON.parse(text) as { choices?: unknown[]; quota?: number };
      assert.ok(body.choices, text);
      return { ...base, kind: 'complete', id, status: 200, quota: body.quota ?? null };
    }
    const frames = parseSse(text);
    const kind: Kind = frames.done && !frames.error ? 'complete' : frames.deltas > 0 ? 'partial' : 'refused';
    return { ...base, kind, id, status: 200, code: frames.error?.code ?? null, quota: frames.quota };
  }

  it('keeps completed answers, usage rows and the balance in exact agreement', async () => {
    const outcomes: Outcome[] = [];
    let phase = 'warm-up';
    let running = true;
    const clients = Array.from({ length: 6 }, async (_, client) => {
      for (let n = 0; running; n++) {
        const outcome = await request((client + n) % 3 !== 0, phase);
        outcomes.push(outcome);
        if (outcome.kind !== 'complete') await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const recovered: Record<string, number> = {};
    const recoveryOf = async (name: string, back: number) => {
      phase = `after ${name}`;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const first = outcomes.find((o) => o.startedAt >= back && o.kind === 'complete');
        if (first) {
          recovered[name] = first.startedAt - back;
          return;
        }
        await pause(50);
      }
      const since = outcomes.filter((o) => o.startedAt >= back).map((o) => `${o.kind} ${o.status} ${o.code}`);
      assert.fail(
        `no complete answer within 30 s after ${name} came back: ${[...new Set(since)].join('; ')}\n${(await mariadb.log()).slice(-3000)}`,
      );
    };

    await pause(2500);
    phase = 'worker down';
    await stopChild(worker as Child, 'SIGKILL');
    await pause(2000);
    await startWorker();
    await recoveryOf('worker', Date.now());
    await pause(2500);

    phase = 'redis down';
    await redis.kill();
    await pause(3000);
    await redis.start();
    await recoveryOf('redis', Date.now());
    await pause(2500);

    phase = 'mariadb down';
    await mariadb.kill();
    await pause(3000);
    await mariadb.start();
    await recoveryOf('mariadb', Date.now());
    await pause(2500);
    running = false;
    await Promise.all(clients);

    // Settlements queued during the MariaDB outage land within their retry backoff.
    let held = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 300 && held > 0; i++) {
      const [{ count }] = await knex('quota_hold')
        .where({ user_id: payer.id, state: 'held' })
        .count({ count: '*' });
      held = Number(count);
      if (held > 0) await pause(200);
    }
    if (held > 0) {
      const ids = (
        await knex('quota_hold').where({ user_id: payer.id, state: 'held' }).select('request_id')
      ).map((row: { request_id: string }) => row.request_id);
      const detail = ids.map((id) =>
        JSON.stringify(outcomes.find((o) => o.id === id) ?? { id, unseen: true }),
      );
      assert.fail(`holds left for the sweeper:\n${detail.join('\n')}`);
    }

    const rows: { request_id: string; end_reason: string; cost: string }[] = await knex('usage_record')
      .where('user_id', payer.id)
      .select('request_id', 'end_reason', 'cost');
    const rowById = new Map(rows.map((row) => [row.request_id, row]));
    const seen = new Set(outcomes.map((o) => o.id).filter(Boolean));
    const problems: string[] = [];
    for (const outcome of outcomes) {
      const row = outcome.id ? rowById.get(outcome.id) : undefined;
      const label = `${outcome.phase} ${outcome.stream ? 'stream' : 'json'} ${outcome.id} ${outcome.kind} ${outcome.status} ${outcome.code}`;
      if (outcome.kind === 'complete') {
        if (!row) problems.push(`${label}: complete but no usage row`);
        else if (!COMPLETE_REASONS.has(row.end_reason))
          problems.push(`${label}: complete but row ended ${row.end_reason}`);
        else if (outcome.quota === null || Math.abs(Number(row.cost) - outcome.quota) > 1e-9)
          problems.push(`${label}: shown ${outcome.quota}, charged ${row.cost}`);
      } else if (outcome.kind === 'partial') {
        if (!row) problems.push(`${label}: partial answer without a usage row`);
        else if (COMPLETE_REASONS.has(row.end_reason))
          problems.push(`${label}: ended in an error but billed ${row.end_reason}`);
      } else if (row && Number(row.cost) > 0) {
        problems.push(`${label}: refused but charged ${row.cost} (${row.end_reason})`);
      }
      if (outcome.kind === 'refused' && outcome.status === 503 && !outcome.retryAfter)
        problems.push(`${label}: 503 without Retry-After`);
      if (
        outcome.kind === 'refused' &&
        outcome.status >= 500 &&
        outcome.status !== 503 &&
        outcome.status !== 502
      )
        problems.push(`${label}: answered ${outcome.status}`);
    }
    for (const row of rows)
      if (!seen.has(row.request_id)) problems.push(`row ${row.request_id} for no request`);
    const balance = await knex('quota').where('user_id', payer.id).first('quota', 'used');
    const charged = rows.reduce((sum, row) => sum + Math.round(Number(row.cost) * 1e6), 0);
    if (Math.round(Number(balance.used) * 1e6) !== charged)
      problems.push(`used ${balance.used} but rows total ${charged / 1e6}`);
    if (Math.round((BALANCE - Number(balance.quota)) * 1e6) !== charged)
      problems.push(`balance moved ${BALANCE - Number(balance.quota)} but rows total ${charged / 1e6}`);

    const table: Record<string, Record<Kind, number>> = {};
    for (const outcome of outcomes) {
      table[outcome.phase] ??= { complete: 0, partial: 0, refused: 0, network: 0 };
      table[outcome.phase][outcome.kind] += 1;
    }
    if (process.env.SHOW_FAULTS) {
      console.table(table);
      console.log('recovery ms after each restart', recovered, 'rows', rows.length, 'charged', charged / 1e6);
      const refusals = new Map<string, number>();
      for (const o of outcomes.filter((x) => x.kind !== 'complete')) {
        const key = `${o.phase} ${o.kind} ${o.status} ${o.code}`;
        refusals.set(key, (refusals.get(key) ?? 0) + 1);
      }
      console.log(refusals);
    }
    assert.deepEqual(problems, []);
    assert.equal(outcomes.filter((o) => o.kind === 'network').length, 0, 'the api itself never went away');
    assert.ok(outcomes.filter((o) => o.kind === 'complete').length > 100, JSON.stringify(table));
    for (const name of ['worker', 'redis', 'mariadb'])
      assert.ok(recovered[name] < 10_000, `${name}: ${recovered[name]} ms to recover`);
  });
});
