// Seeded fuzz over every route of the route table, as anonymous, a user and root: hostile
// bodies, queries, path ids, methods and credentials against a child api+workers on its own
// database and prefix. Fails on any 5xx, hang or off-contract answer, listing them all at once.
import assert from 'node:assert/strict';
import knexModule, { type Knex } from 'knex';
import { hashPassword } from '../shared/auth/password.js';
import { knexConfig } from '../shared/db.js';
import { deleteRedisPrefix, dropDatabase } from './support/cleanup.js';
import { testEnvironment } from './support/environment.js';
import type { FuzzState } from './support/fuzz-base-inputs.js';
import { type Answer, contractProblems } from './support/fuzz-contract.js';
import { buildCases, type Caller, type FuzzCase } from './support/fuzz-inputs.js';
import { FuzzSession, USER_PASSWORD } from './support/fuzz-session.js';
import { seededRandom } from '../shared/channels/select.js';
import type { Random } from './support/fuzz-values.js';
import { type Route, routeTable } from './support/routes.js';
import { type Harness, harness } from './support/harness.js';
import { type Child, freePort, spawnEntry, stopChild, waitForReady } from './support/processes.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const CALLERS: readonly Caller[] = ['anonymous', 'user', 'root'];

/** Every route of the in-process app's routers (Bull Board is not a router and stays out). */
const fuzzedRoutes = (h: Harness): Route[] =>
  routeTable(h).filter((route) => !route.path.toLowerCase().startsWith('/admin/queues'));

/** Routes that hash or verify a password (argon2, tens of ms each) get fewer cases. */
const HASHING = new Set(['/login', '/register', '/reset', '/admin/user/password']);

function caseCount(route: Route, caller: Caller): number {
  const admin = route.path.toLowerCase().startsWith('/admin');
  const full = caller === 'root' ? 60 : admin ? 10 : caller === 'user' ? 30 : 15;
  return HASHING.has(route.path) ? Math.ceil(full / 3) : full;
}

/** Sends one case and returns what is wrong with the answer ('' when nothing is). */
async function probe(session: FuzzSession, route: Route, caller: Caller, fuzz: FuzzCase): Promise<string> {
  const keyed = route.path.startsWith('/v1') || route.path.startsWith('/dashboard');
  const own = keyed && session.keys[caller] ? `Bearer ${session.keys[caller]}` : session.tokens[caller];
  let answer: Answer;
  try {
    answer = await session.send(fuzz.method ?? route.method, fuzz, fuzz.authorization ?? own);
  } catch (error) {
    return `no answer: ${(error as Error).name} ${(error as Error).message}`;
  }
  if (process.env.FUZZ_TRACE && route.path.includes(process.env.FUZZ_TRACE))
    console.log(
      `${route.method} ${route.path} ${caller} ${fuzz.label} -> ${answer.status} ${answer.text.slice(0, 300)}`,
    );
  const problems = contractProblems(answer, {
    route: route.path,
    mayShowEndpoints: caller === 'root' && route.path.startsWith('/admin/channel/'),
    mayShowSecrets: caller === 'root' && route.path === '/admin/channel/get/:id',
    secrets: [session.state.channelSecret],
  });
  return problems.length ? `${answer.status} ${problems.join('; ')}: ${answer.text.slice(0, 200)}` : '';
}

/** Every case of one route for every caller; failures are appended, the count of requests returned. */
async function fuzzRoute(session: FuzzSession, route: Route, random: Random, failures: string[]) {
  const { state } = session;
  let sent = 0;
  for (const caller of CALLERS) {
    const cases = buildCases({
      ...route,
      caller,
      count: caseCount(route, caller),
      heavy: caller === 'root' || (caller === 'user' && route.path === '/v1/chat/completions'),
      random,
      state,
      validParam: String(route.path.includes('/charge/') ? state.chargeId : state.channelId),
    });
    for (const fuzz of cases) {
      sent += 1;
      const problem = await probe(session, route, caller, fuzz);
      if (problem)
        failures.push(`${route.method} ${route.path} as ${caller}: ${fuzz.label}\n    -> ${problem}`);
    }
  }
  await session.restore();
  return sent;
}

describe('fuzz: every route with hostile input', function () {
  this.timeout(300_000);
  const database = `${testEnvironment.MYSQL_DB}_fuzz`;
  const prefix = `${testEnvironment.REDIS_PREFIX}-fuzz`;
  let h: Harness;
  let child: Child;
  let knex: Knex;
  let session: FuzzSession;

  before(async () => {
    h = await harness();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawnEntry('ops/start.ts', {
      MYSQL_DB: database,
      REDIS_PREFIX: prefix,
      SERVER_PORT: String(port),
      SERVER_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    });
    await waitForReady(base, child, 60_000);
    knex = knexModule(knexConfig(database));
    const root = await knex('auth').where({ username: 'root' }).first('id');
    const [userId] = await knex('auth').insert({
      username: 'fuzzuser',
      password: await hashPassword(USER_PASSWORD),
      token: 'fuzz-user-token',
    });
    await knex('quota').insert({ user_id: userId, quota: 1000, used: 0 });
    const state: FuzzState = {
      rootId: Number(root.id),
      userId: Number(userId),
      username: 'fuzzuser',
      channelId: 0,
      chargeId: 0,
      mockUrl: h.mock.url,
      routableModel: 'fuzz-routable',
      channelSecret: 'sk-fuzz-channel-secret-0123456789',
    };
    session = new FuzzSession(base, knex, state, testEnvironment.ROOT_PASSWORD);
    session.tokens.root = await session.login('root', testEnvironment.ROOT_PASSWORD);
    session.tokens.user = await session.login(state.username, USER_PASSWORD);
    await session.restore();
  });

  after(async () => {
    session?.close();
    if (child) await stopChild(child, 'SIGKILL');
    await knex?.destroy();
    await dropDatabase(database);
    await deleteRedisPrefix(prefix);
  });

  it('answers every route, method and caller without a 5xx, a hang or an off-contract body', async () => {
    const started = Date.now();
    const random = seededRandom(SEED);
    const routes = fuzzedRoutes(h);
    assert.ok(routes.length >= 45, `only ${routes.length} routes in the table`);
    const failures: string[] = [];
    let sent = 0;
    for (const route of routes) sent += await fuzzRoute(session, route, random, failures);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`      fuzz: ${routes.length} routes, ${sent} requests, ${seconds} s, seed ${SEED}`);
    if (process.env.FUZZ_LOG) console.log(child.output());
    // Errors that never reach a client (a failed job, a failed settlement) are failures too.
    for (const line of child.output().split('\n'))
      if (/"level":(50|60)\b/.test(line)) failures.push(`child logged an error: ${line.slice(0, 400)}`);
    assert.equal(
      failures.length,
      0,
      `${failures.length} failures (seed ${SEED}):\n${failures.slice(0, 150).join('\n')}\n` +
        `--- child log tail ---\n${child.output().slice(-3000)}`,
    );
  });
});
