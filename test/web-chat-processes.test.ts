// The web chat across processes: two api processes and a separate worker process on one
// database and Redis prefix. A conversation started on api A continues on api B; a socket
// dropped mid-answer on A loses nothing (the answer is saved and billed once).
import assert from 'node:assert/strict';
import knexModule, { type Knex } from 'knex';
import { signToken } from '../api/auth/jwt.js';
import { sessionStamp } from '../shared/auth/session-stamp.js';
import { knexConfig } from '../shared/db.js';
import { type MockProvider, startMockProvider } from '../ops/mock-provider/server.js';
import { ChatClient } from './support/chat-client.js';
import { deleteRedisPrefix, dropDatabase } from './support/cleanup.js';
import { testEnvironment } from './support/environment.js';
import { postJson } from './support/harness.js';
import {
  type Child,
  freePort,
  spawnEntry,
  stopChild,
  waitForLine,
  waitForReady,
} from './support/processes.js';
import { createPayingUserIn } from './support/users.js';

describe('web chat across processes', function () {
  this.timeout(90_000);
  const database = `${testEnvironment.MYSQL_DB}_ws`;
  const prefix = `${testEnvironment.REDIS_PREFIX}-ws`;
  const children: Child[] = [];
  let mock: MockProvider;
  let knex: Knex;
  const urls: string[] = [];

  before(async () => {
    mock = await startMockProvider({ port: 0 });
    const env = { MYSQL_DB: database, REDIS_PREFIX: prefix, SERVER_HOST: '127.0.0.1' };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const api = spawnEntry('api/main.ts', { ...env, SERVER_PORT: String(port) });
      children.push(api);
      urls.push(`http://127.0.0.1:${port}`);
      await waitForReady(urls[i], api);
    }
    const worker = spawnEntry('workers/main.ts', { ...env, LOG_LEVEL: 'info' });
    children.push(worker);
    await waitForLine(worker, /workers ready/);
    knex = knexModule(knexConfig(database));
  });

  after(async () => {
    await Promise.all(children.map((child) => stopChild(child, 'SIGKILL')));
    await knex?.destroy();
    await mock?.close();
    await dropDatabase(database);
    await deleteRedisPrefix(prefix);
  });

  it('continues on api B what started on api A, and a dropped socket loses nothing', async () => {
    const login = await postJson(urls[0], '/login', {
      username: 'root',
      password: testEnvironment.ROOT_PASSWORD,
    });
    const root = { authorization: String(login.token) };
    const model = 'ws-process-model';
    const channel = { name: 'mock', type: 'openai', models: [model], secret: 'sk-x', endpoint: mock.url };
    assert.equal((await postJson(urls[0], '/admin/channel/create', channel, root)).status, true);
    const rule = { id: -1, type: 'token-billing', models: [model], input: 1, output: 2 };
    assert.equal((await postJson(urls[1], '/admin/charge/set', rule, root)).status, true);
    const user = await createPayingUserIn(knex, 100, 'wsproc');
    const row = await knex('auth').where('id', user.id).first('password', 'token');
    const token = signToken(
      { id: user.id, username: user.username, stamp: sessionStamp(row.password, row.token) },
      testEnvironment.SECRET,
    );
    // Prices and channels changed through the other process apply within a second.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const onA = await ChatClient.connect(urls[0], { token, id: -1 });
    const first = await onA.turn({ type: 'chat', message: 'Hello from A [[mock chunks=3]]', model });
    const id = first[0].conversation;
    assert.ok(id > 0);
    onA.ws.close();
    const onB = await ChatClient.connect(urls[1], { token, id });
    const second = await onB.turn({ type: 'chat', message: 'And from B [[mock chunks=2]]', model });
    assert.equal(second[0].conversation, id);
    onB.ws.close();

    const dropped = await ChatClient.connect(urls[0], { token, id });
    dropped.send({ type: 'chat', message: 'Long one [[mock chunks=15 delay=40]]', model });
    await dropped.until((frame) => frame.message.startsWith('w0'));
    dropped.ws.terminate();
    let messages: { role: string; content: string }[] = [];
    for (let i = 0; i < 100 && messages.length < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stored = await knex('conversation')
        .where({ user_id: user.id, conversation_id: id })
        .first('data');
      messages = JSON.parse(stored.data);
    }
    assert.deepEqual(
      messages.map((m) => m.role),
      ['user', 'assistant', 'user', 'assistant', 'user', 'assistant'],
    );
    assert.equal(messages[5].content, Array.from({ length: 15 }, (_, i) => `w${i} `).join(''));
    const rows = await knex('usage_record').where('user_id', user.id).select('end_reason', 'cost');
    assert.deepEqual(
      rows.map((r) => r.end_reason),
      ['stop', 'stop', 'stop'],
    );
    const balance = await knex('quota').where('user_id', user.id).first('quota', 'used');
    const charged = rows.reduce((sum, r) => sum + Math.round(Number(r.cost) * 1e6), 0);
    assert.equal(Math.round(Number(balance.used) * 1e6), charged);
    assert.equal(Math.round((100 - Number(balance.quota)) * 1e6), charged);
  });
});
