// The web chat over WebSocket (Chat Nio's /chat protocol) with a real `ws` client: frames
// field for field, conversations stored once per question and answer, stop, restart, edit,
// remove, a dropped socket that loses nothing, anonymous rules and per-caller limits.
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ChatClient, type Frame } from './support/chat-client.js';
import { freshClientIp } from './support/client-ip.js';
import { signToken } from '../api/auth/jwt.js';
import { sessionStamp } from '../shared/auth/session-stamp.js';
import { db } from '../shared/db.js';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';
import { balanceOf, createPayingUser, type TestUser, usageRecordOf } from './support/users.js';

const text = (frames: Frame[]) =>
  frames
    .filter((f) => !f.end)
    .map((f) => f.message)
    .join('');

async function tokenOf(h: Harness, user: TestUser): Promise<string> {
  const row = await db()('auth').where('id', user.id).first('password', 'token');
  return signToken(
    { id: user.id, username: user.username, stamp: sessionStamp(row.password, row.token) },
    h.api.context.jwtSecret,
  );
}

async function storedConversation(userId: number, id: number) {
  const row = await db()('conversation').where({ user_id: userId, conversation_id: id }).first();
  return row
    ? {
        name: row.conversation_name as string,
        messages: JSON.parse(row.data) as { role: string; content: string }[],
      }
    : null;
}

describe('web chat over WebSocket', function () {
  this.timeout(60_000);
  let h: Harness;
  let model: string;
  let freeModel: string;
  let user: TestUser;
  let token: string;

  before(async () => {
    h = await harness();
    model = uniqueModel('webchat');
    freeModel = uniqueModel('webchat-free');
    await createChannel(h, { models: [model, freeModel] });
    for (const rule of [
      { id: -1, type: 'token-billing', models: [model], input: 1, output: 2 },
      { id: -1, type: 'non-billing', models: [freeModel], anonymous: true },
    ]) {
      const set = await postJson(h.url, '/admin/charge/set', rule, { authorization: h.rootToken });
      assert.equal(set.status, true, JSON.stringify(set));
    }
    user = await createPayingUser(100, 'webchat');
    token = await tokenOf(h, user);
  });

  it('chats in Chat Nio frames, stores the conversation once per question and answer, and bills it', async () => {
    const client = await ChatClient.connect(h.url, { token, id: -1 });
    const frames = await client.turn({ type: 'chat', message: 'Hello there', model });
    for (const frame of frames) {
      assert.deepEqual(Object.keys(frame).sort(), [
        'conversation',
        'end',
        'keyword',
        'message',
        'plan',
        'quota',
      ]);
      assert.equal(typeof frame.message, 'string');
    }
    const id = frames[0].conversation;
    assert.ok(id > 0, 'the first frame names the new conversation');
    assert.equal(text(frames), 'w0 w1 w2 w3 w4 ');
    const last = frames.at(-1) as Frame;
    assert.equal(last.end, true);
    assert.ok(last.quota > 0, 'the end frame carries the cost');
    const stored = await storedConversation(user.id, id);
    assert.equal(stored?.name, 'Hello there');
    assert.deepEqual(
      stored?.messages.map((m) => [m.role, m.content]),
      [
        ['user', 'Hello there'],
        ['assistant', 'w0 w1 w2 w3 w4 '],
      ],
    );
    const charged = await db()('usage_record').where('user_id', user.id).sum({ cost: 'cost' }).first();
    assert.equal(Math.round(Number(charged?.cost) * 1e6), Math.round(last.quota * 1e6));
    // The same conversation continues on a new socket.
    client.ws.close();
    const again = await ChatClient.connect(h.url, { token, id });
    const second = await again.turn({ type: 'chat', message: 'More [[mock chunks=2]]', model });
    assert.equal(second[0].conversation, id);
    assert.equal((await storedConversation(user.id, id))?.messages.length, 4);
    again.ws.close();
  });

  it('refuses a second chat while one runs, stops on request, and saves and bills what was produced', async () => {
    const client = await ChatClient.connect(h.url, { token, id: -1 });
    const from = client.frames.length;
    client.send({ type: 'chat', message: 'Long answer [[mock chunks=100 delay=40]]', model });
    await client.until((f) => f.message.startsWith('w0'), from);
    client.send({ type: 'chat', message: 'interrupting', model });
    const busy = await client.until((f) => f.end && /still being generated/.test(f.message), from);
    assert.ok(busy.length > 0);
    client.send({ type: 'stop' });
    const frames = await client.until((f) => f.end && !/still being generated/.test(f.message), from);
    const id = frames[0].conversation;
    const produced = text(frames.filter((f) => !/still being generated/.test(f.message)));
    assert.ok(produced.length > 0 && !produced.includes('w99'), 'stopped early');
    const stored = await storedConversation(user.id, id);
    assert.equal(stored?.messages.length, 2, 'the interrupting chat was not queued');
    assert.ok(stored?.messages[1].content.startsWith('w0'), 'the partial answer is saved');
    client.ws.close();
  });

  it('loses nothing when the socket drops mid-answer: the answer is saved and billed once', async () => {
    const payer = await createPayingUser(50, 'dropper');
    const client = await ChatClient.connect(h.url, { token: await tokenOf(h, payer), id: -1 });
    client.send({ type: 'chat', message: 'Drop me [[mock chunks=20 delay=30]]', model });
    const frames = await client.until((f) => f.message.startsWith('w0'));
    const id = frames[0].conversation;
    client.ws.terminate();
    let stored = await storedConversation(payer.id, id);
    for (let i = 0; i < 100 && (stored?.messages.length ?? 0) < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stored = await storedConversation(payer.id, id);
    }
    assert.equal(stored?.messages[1].content, Array.from({ length: 20 }, (_, i) => `w${i} `).join(''));
    const rows = await db()('usage_record')
      .where('user_id', payer.id)
      .select('request_id', 'end_reason', 'cost');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].end_reason, 'stop');
    const record = await usageRecordOf(rows[0].request_id);
    const balance = await balanceOf(payer.id);
    assert.equal(Math.round((50 - balance.quota) * 1e6), Math.round(Number(record.cost) * 1e6));
  });

  it('keeps an answer cut by an upstream failure, with a note, and bills what was produced', async () => {
    const client = await ChatClient.connect(h.url, { token, id: -1 });
    const frames = await client.turn({
      type: 'chat',
      message: 'Cut me [[mock chunks=6 reset=mid after=3 delay=40]]',
      model,
    });
    const id = frames[0].conversation;
    assert.equal(text(frames), 'w0 w1 w2 ');
    const end = frames.at(-1) as Frame;
    assert.equal(end.end, true);
    assert.match(end.message, /\S/, 'the end frame says what went wrong');
    const stored = await storedConversation(user.id, id);
    assert.match(stored?.messages[1].content ?? '', /^w0 w1 w2 \n\n\(.+\)$/);
    client.ws.close();
  });

  it('regenerates, edits and removes messages', async () => {
    const client = await ChatClient.connect(h.url, { token, id: -1 });
    const first = await client.turn({ type: 'chat', message: 'Question [[mock chunks=2]]', model });
    const id = first[0].conversation;
    const again = await client.turn({ type: 'restart', model });
    assert.equal(text(again), 'w0 w1 ');
    let stored = await storedConversation(user.id, id);
    assert.deepEqual(
      stored?.messages.map((m) => m.role),
      ['user', 'assistant'],
      'a regenerated answer replaces the last one',
    );
    client.send({ type: 'edit', message: '0:Edited question' });
    client.send({ type: 'remove', message: '1' });
    for (let i = 0; i < 50; i++) {
      stored = await storedConversation(user.id, id);
      if (stored?.messages.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(
      stored?.messages.map((m) => m.content),
      ['Edited question'],
    );
    client.ws.close();
  });

  it('lets a second user continue a shared conversation from its hash, as a new conversation of their own', async () => {
    const owner = await ChatClient.connect(h.url, { token, id: -1 });
    const first = await owner.turn({ type: 'chat', message: 'Shared question [[mock chunks=2]]', model });
    owner.ws.close();
    const share = await fetch(`${h.url}/conversation/share`, {
      method: 'POST',
      headers: {
        authorization: token,
        'content-type': 'application/json',
        'x-forwarded-for': freshClientIp(),
      },
      body: JSON.stringify({ id: first[0].conversation, refs: [-1] }),
    });
    const hash = String(((await share.json()) as { data: string }).data);
    assert.match(hash, /^[0-9a-f]{32}$/);
    const other = await createPayingUser(10, 'continuer');
    const client = await ChatClient.connect(h.url, { token: await tokenOf(h, other), id: -1, ref: hash });
    const frames = await client.turn({ type: 'chat', message: 'Follow-up [[mock chunks=1]]', model });
    const id = frames[0].conversation;
    const stored = await storedConversation(other.id, id);
    assert.deepEqual(
      stored?.messages.map((m) => [m.role, m.content]),
      [
        ['user', 'Shared question [[mock chunks=2]]'],
        ['assistant', 'w0 w1 '],
        ['user', 'Follow-up [[mock chunks=1]]'],
        ['assistant', 'w0 '],
      ],
    );
    assert.equal(
      (await storedConversation(user.id, first[0].conversation))?.messages.length,
      2,
      'the original is untouched',
    );
    client.ws.close();
  });

  it('lets anonymous callers chat only on free models allowed anonymously, and never stores them', async () => {
    const client = await ChatClient.connect(h.url, { token: 'anonymous', id: -1 }, '/api/chat');
    const free = await client.turn({ type: 'chat', message: 'Hi [[mock chunks=2]]', model: freeModel });
    assert.equal(free[0].conversation, -1);
    assert.equal(text(free), 'w0 w1 ');
    const priced = await client.turn({ type: 'chat', message: 'Hi', model });
    assert.match(priced.at(-1)?.message ?? '', /Sign in/);
    const [{ count }] = await db()('conversation').where('user_id', 0).count({ count: '*' });
    assert.equal(Number(count), 0);
    client.ws.close();
  });

  it('sends images in a message to a vision model as image parts, and as text to others', async () => {
    const vision = uniqueModel('gpt-4o-see');
    await createChannel(h, { models: [vision] });
    await postJson(
      h.url,
      '/admin/charge/set',
      { id: -1, type: 'non-billing', models: [vision] },
      { authorization: h.rootToken },
    );
    const client = await ChatClient.connect(h.url, { token, id: -1 });
    const message = 'Describe ![photo](data:image/png;base64,iVBORw0KGgo=) [[mock chunks=1]]';
    await client.turn({ type: 'chat', message, model: vision });
    const upstream = h.mock.requests.filter((r) => (r.body as { model?: string })?.model === vision).at(-1);
    assert.ok(upstream, 'the vision model was called');
    const content = (upstream.body as { messages: { content: unknown }[] }).messages.at(-1)?.content;
    assert.deepEqual(content, [
      { type: 'text', text: 'Describe  [[mock chunks=1]]' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ]);
    await client.turn({ type: 'chat', message, model });
    const plain = h.mock.requests.filter((r) => (r.body as { model?: string })?.model === model).at(-1);
    assert.ok(plain, 'the plain model was called');
    assert.equal((plain.body as { messages: { content: unknown }[] }).messages.at(-1)?.content, message);
    client.ws.close();
  });

  it('answers a bad frame with an error frame and closes on a bad handshake', async () => {
    const client = await ChatClient.connect(h.url, { token, id: -1 });
    client.send({ type: 'chat', message: 'x', model, temperature: 'hot' });
    const frames = await client.until((f) => f.end);
    assert.match(frames.at(-1)?.message ?? '', /temperature/);
    client.ws.close();
    const bad = await ChatClient.connect(h.url, { token: 42, id: 'nope' });
    assert.equal((await bad.closed).code, 1008);
  });

  it('refuses an upgrade on other paths', async () => {
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/v1/chat/completions`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    assert.equal(status, 404);
  });
});
