// Conversations, share links and masks: the storage module the WebSocket chat uses and every
// /conversation route in the shapes Chat Nio's front end reads, against the real MariaDB; a
// second user's ids and hashes are never found, adopted Go rows load, bad stored JSON never 500s.
import assert from 'node:assert/strict';
import {
  type ConversationRecord,
  conversationName,
  createConversation,
  loadConversation,
  loadMaskContext,
  loadShare,
  NEW_CONVERSATION_NAME,
  saveConversation,
} from '../shared/conversations/store.js';
import { db } from '../shared/db.js';
import { webRequest } from './support/client-ip.js';
import { type Harness, harness } from './support/harness.js';
import { createSignedUser, type SignedUser } from './support/signed-users.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON read field by field in assertions
type Body = Record<string, any>;

describe('conversations, sharing and masks', function () {
  this.timeout(30_000);
  let h: Harness;
  let alice: SignedUser;
  let bob: SignedUser;

  const call = async (path: string, token: string, body?: unknown): Promise<Body> => {
    const answer = await webRequest(h.url, path, token, body);
    assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const refusedWith = (answer: Body, message: RegExp) => {
    assert.equal(answer.status, false, JSON.stringify(answer));
    assert.match(String(answer.error), message);
    assert.equal(answer.message, answer.error);
    assert.equal(answer.data, undefined);
  };
  const conversationOf = async (
    user: SignedUser,
    texts: string[],
    name = 'chat',
  ): Promise<ConversationRecord> => {
    const record = await createConversation(db(), user.id, name, 'gpt-4o');
    record.messages = texts.map((content, index) => ({ role: index % 2 ? 'assistant' : 'user', content }));
    await saveConversation(db(), record);
    return record;
  };

  before(async () => {
    h = await harness();
    alice = await createSignedUser(h, 'alice');
    bob = await createSignedUser(h, 'bob');
  });

  describe('storage module', () => {
    it('creates with the next free id, saves, loads; unknown ids and other users are null', async () => {
      const user = await createSignedUser(h, 'store');
      const first = await createConversation(db(), user.id, NEW_CONVERSATION_NAME, 'gpt-4o');
      assert.deepEqual(first, { userId: user.id, id: 1, name: 'new chat', messages: [], model: 'gpt-4o' });
      const second = await createConversation(db(), user.id, 'two', 'gpt-4o-mini');
      assert.equal(second.id, 2);
      second.messages = [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello', reasoning_content: 'thinking', quota: 0.5, end: true },
      ];
      second.name = 'renamed';
      second.model = 'claude-3';
      await saveConversation(db(), second);
      assert.deepEqual(await loadConversation(db(), user.id, 2), second);
      assert.equal(await loadConversation(db(), user.id, 3), null);
      assert.equal(await loadConversation(db(), alice.id, 2), null);
      // A save of a record that does not exist yet inserts it.
      await saveConversation(db(), { userId: user.id, id: 9, name: 'n', messages: [], model: 'm' });
      assert.equal((await createConversation(db(), user.id, 'x', 'm')).id, 10);
    });

    it('gives concurrent creations distinct ids', async () => {
      const user = await createSignedUser(h, 'race');
      const made = await Promise.all(
        Array.from({ length: 25 }, () => createConversation(db(), user.id, 'race', 'gpt-4o')),
      );
      const ids = made.map((record) => record.id).sort((a, b) => a - b);
      assert.deepEqual(
        ids,
        Array.from({ length: 25 }, (_, index) => index + 1),
      );
      const rows = await db()('conversation').where('user_id', user.id).count({ count: '*' }).first();
      assert.equal(Number(rows?.count), 25);
    });

    it('names conversations after the first 50 code points of the first message', () => {
      assert.equal(conversationName('hello'), 'hello');
      assert.equal(conversationName('a'.repeat(50)), 'a'.repeat(50));
      assert.equal(conversationName('a'.repeat(51)), `${'a'.repeat(50)}...`);
      assert.equal(conversationName('😀'.repeat(60)), `${'😀'.repeat(50)}...`);
      assert.equal(conversationName('   '), NEW_CONVERSATION_NAME);
    });

    it('loads a row adopted from Chat Nio (Go JSON, unknown fields kept)', async () => {
      const goData =
        '[{"role":"system","content":"be brief"},{"role":"user","content":"weather?"},' +
        '{"role":"assistant","content":"","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"w","arguments":"{}"}}]},' +
        '{"role":"tool","content":"{\\"t\\":20}","tool_call_id":"call_1","name":"w"},' +
        '{"role":"virtualRole::websearch","content":"","search_query":{"type":"q","search_queries":["x"]}},' +
        '{"role":"assistant","content":"sunny","reasoning_content":"looked it up"}]';
      await db()('conversation').insert({
        user_id: alice.id,
        conversation_id: 700,
        conversation_name: 'adopted',
        data: goData,
        model: 'gpt-3.5-turbo-0613',
      });
      const loaded = await loadConversation(db(), alice.id, 700);
      assert.deepEqual(loaded?.messages, JSON.parse(goData));
      assert.equal(loaded?.model, 'gpt-3.5-turbo-0613');
      const answer = await call('/conversation/load?id=700', alice.token);
      assert.deepEqual(answer.data.message, JSON.parse(goData));
      // Elements that are not messages are dropped, odd field types become text.
      await db()('conversation')
        .where({ user_id: alice.id, conversation_id: 700 })
        .update({ data: '[1, null, {"role":"user","content":["a"]}, {"content":"no role","extra":true}]' });
      assert.deepEqual((await loadConversation(db(), alice.id, 700))?.messages, [
        { role: 'user', content: '["a"]' },
        { role: '', content: 'no role', extra: true },
      ]);
      await db()('conversation').where({ user_id: alice.id, conversation_id: 700 }).delete();
    });

    it('treats invalid stored JSON as an empty conversation, never a 500', async () => {
      for (const [index, data] of ['{not json', '{"role":"user"}', 'null', '"text"', ''].entries()) {
        const id = 800 + index;
        await db()('conversation').insert({
          user_id: alice.id,
          conversation_id: id,
          conversation_name: `broken ${index}`,
          data,
        });
        assert.deepEqual((await loadConversation(db(), alice.id, id))?.messages, []);
        const answer = await call(`/conversation/load?id=${id}`, alice.token);
        assert.equal(answer.status, true);
        assert.deepEqual(answer.data.message, []);
        const shared = await call('/conversation/share', alice.token, { id, refs: [-1] });
        assert.equal(shared.status, true, JSON.stringify(shared));
        assert.deepEqual((await call(`/conversation/view?hash=${shared.data}`, '')).data.messages, []);
      }
      await call('/conversation/clean', alice.token);
    });
  });

  describe('history routes', () => {
    it('lists, loads, renames, deletes and cleans in the front end shapes', async () => {
      const user = await createSignedUser(h, 'history');
      await conversationOf(user, ['one'], 'first');
      const second = await conversationOf(user, ['two', 'answer'], 'second');

      const list = await call('/conversation/list', user.token);
      assert.deepEqual(list, {
        status: true,
        message: '',
        data: [
          { id: 2, name: 'second' },
          { id: 1, name: 'first' },
        ],
      });
      const load = await call('/conversation/load?id=2', user.token);
      assert.deepEqual(load, {
        status: true,
        message: '',
        data: { id: 2, name: 'second', message: second.messages, model: 'gpt-4o', shared: false },
      });

      assert.deepEqual(await call('/conversation/rename', user.token, { id: 2, name: '  new name ' }), {
        status: true,
        message: '',
      });
      assert.equal((await call('/conversation/load?id=2', user.token)).data.name, 'new name');
      assert.equal(
        (await call('/conversation/rename', user.token, { id: 2, name: 'new name' })).status,
        true,
      );
      const long = 'n'.repeat(255);
      assert.equal((await call('/conversation/rename', user.token, { id: 2, name: long })).status, true);
      assert.equal((await loadConversation(db(), user.id, 2))?.name, long);

      assert.deepEqual(await call('/conversation/delete?id=1', user.token), { status: true, message: '' });
      refusedWith(await call('/conversation/load?id=1', user.token), /not found/);
      refusedWith(await call('/conversation/delete?id=1', user.token), /not found/);
      assert.deepEqual((await call('/conversation/list', user.token)).data, [{ id: 2, name: long }]);

      assert.deepEqual(await call('/conversation/clean', user.token), { status: true, message: '' });
      assert.deepEqual((await call('/conversation/list', user.token)).data, []);
    });

    it('lists the newest 100 conversations', async () => {
      const user = await createSignedUser(h, 'many');
      await db()('conversation').insert(
        Array.from({ length: 105 }, (_, index) => ({
          user_id: user.id,
          conversation_id: index + 1,
          conversation_name: `c${index + 1}`,
          data: '[]',
        })),
      );
      const data = (await call('/conversation/list', user.token)).data as Body[];
      assert.equal(data.length, 100);
      assert.deepEqual(data[0], { id: 105, name: 'c105' });
      assert.deepEqual(data[99], { id: 6, name: 'c6' });
    });

    it("never shows or changes a second user's conversations", async () => {
      const owned = await conversationOf(alice, ['private'], 'alice only');
      refusedWith(await call(`/conversation/load?id=${owned.id}`, bob.token), /not found/);
      refusedWith(await call('/conversation/rename', bob.token, { id: owned.id, name: 'x' }), /not found/);
      refusedWith(await call(`/conversation/delete?id=${owned.id}`, bob.token), /not found/);
      refusedWith(await call('/conversation/share', bob.token, { id: owned.id, refs: [-1] }), /not found/);
      assert.ok(!JSON.stringify(await call('/conversation/list', bob.token)).includes('alice only'));
      await call('/conversation/clean', bob.token);
      const still = await loadConversation(db(), alice.id, owned.id);
      assert.equal(still?.name, 'alice only');
      assert.deepEqual(still?.messages, owned.messages);
    });

    it('refuses unbounded or malformed input with the envelope', async () => {
      for (const query of ['', '?id=0', '?id=-1', '?id=abc', '?id=2147483648', '?id=1&id=2', '?id=1e3'])
        refusedWith(await call(`/conversation/load${query}`, alice.token), /id/);
      refusedWith(await call('/conversation/delete?id=0', alice.token), /id/);
      for (const body of [
        { id: 1, name: '' },
        { id: 1, name: 'x'.repeat(256) },
        { id: 1.5, name: 'x' },
        { id: '1', name: 'x' },
        { name: 'x' },
      ])
        refusedWith(await call('/conversation/rename', alice.token, body), /Invalid value/);
    });

    it('answers 401 to anonymous callers on every route but view', async () => {
      for (const [path, body] of [
        ['/conversation/list'],
        ['/conversation/load?id=1'],
        ['/conversation/rename', { id: 1, name: 'x' }],
        ['/conversation/delete?id=1'],
        ['/conversation/clean'],
        ['/conversation/share', { id: 1, refs: [-1] }],
        ['/conversation/share/list'],
        [`/conversation/share/delete?hash=${'a'.repeat(32)}`],
        ['/conversation/mask/view'],
        ['/conversation/mask/save', { id: -1, name: 'x', avatar: '', context: [] }],
        ['/conversation/mask/delete', { id: 1 }],
      ] as [string, unknown?][]) {
        const answer = await webRequest(h.url, path, '', body);
        assert.equal(answer.status, 401, path);
        assert.equal(answer.body.status, false);
      }
      refusedWith(await call(`/conversation/view?hash=${'a'.repeat(32)}`, ''), /not found/);
    });
  });

  describe('sharing', () => {
    it('shares all messages ([-1]) and a subset; view is public; re-sharing keeps the link', async () => {
      const record = await conversationOf(alice, ['q1', 'a1', 'q2', 'a2'], 'shared chat');
      const all = await call('/conversation/share', alice.token, { id: record.id, refs: [-1] });
      assert.equal(all.status, true);
      assert.equal(all.message, '');
      assert.match(all.data, /^[0-9a-f]{32}$/);
      const view = await call(`/conversation/view?hash=${all.data}`, '');
      assert.equal(view.status, true);
      assert.deepEqual(Object.keys(view.data).sort(), ['messages', 'model', 'name', 'time', 'username']);
      assert.equal(view.data.name, 'shared chat');
      assert.equal(view.data.username, alice.username);
      assert.equal(view.data.model, 'gpt-4o');
      assert.deepEqual(view.data.messages, record.messages);
      assert.ok(Math.abs(Date.parse(view.data.time) - Date.now()) < 60_000, view.data.time);

      const subset = await call('/conversation/share', alice.token, { id: record.id, refs: [2, 0] });
      assert.notEqual(subset.data, all.data);
      const subsetView = await call(`/conversation/view?hash=${subset.data}`, bob.token);
      assert.deepEqual(
        subsetView.data.messages.map((message: Body) => message.content),
        ['q2', 'q1'],
      );
      const again = await call('/conversation/share', alice.token, { id: record.id, refs: [2, 0] });
      assert.equal(again.data, subset.data);
      // A ref of -1 among others means everything, as in Chat Nio.
      assert.equal(
        (await call('/conversation/share', alice.token, { id: record.id, refs: [1, -1] })).data,
        all.data,
      );
      // Upper-case hashes are the same link.
      assert.equal((await call(`/conversation/view?hash=${all.data.toUpperCase()}`, '')).status, true);

      // The view follows the conversation (Chat Nio reads it at view time); missing indexes are skipped.
      record.messages = record.messages.slice(0, 2);
      await saveConversation(db(), record);
      assert.deepEqual(
        (await call(`/conversation/view?hash=${subset.data}`, '')).data.messages.map((m: Body) => m.content),
        ['q1'],
      );
      const shared = await loadShare(db(), all.data);
      assert.deepEqual(shared?.messages, record.messages);
      assert.equal(await loadShare(db(), 'f'.repeat(32)), null);
    });

    it('gives concurrent shares of the same conversation and refs one link', async () => {
      const record = await conversationOf(alice, ['a', 'b'], 'raced share');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () =>
          call('/conversation/share', alice.token, { id: record.id, refs: [-1] }),
        ),
      );
      assert.equal(new Set(answers.map((answer) => answer.data)).size, 1);
      const rows = await db()('sharing').where({ user_id: alice.id, conversation_id: record.id });
      assert.equal(rows.length, 1);
    });

    it('lists and deletes share links; a second user cannot', async () => {
      const user = await createSignedUser(h, 'sharer');
      const first = await conversationOf(user, ['x', 'y'], 'first shared');
      const second = await conversationOf(user, ['z'], 'second shared');
      const hashA = (await call('/conversation/share', user.token, { id: first.id, refs: [-1] })).data;
      const hashB = (await call('/conversation/share', user.token, { id: second.id, refs: [0] })).data;
      const list = await call('/conversation/share/list', user.token);
      assert.equal(list.status, true);
      assert.equal(list.message, '');
      assert.deepEqual(
        list.data.map((item: Body) => Object.keys(item).sort()),
        [
          ['conversation_id', 'hash', 'name', 'time'],
          ['conversation_id', 'hash', 'name', 'time'],
        ],
      );
      assert.deepEqual(
        list.data.map((item: Body) => [item.hash, item.conversation_id, item.name]).sort(),
        [
          [hashA, first.id, 'first shared'],
          [hashB, second.id, 'second shared'],
        ].sort(),
      );
      assert.ok(list.data.every((item: Body) => !Number.isNaN(Date.parse(item.time))));

      assert.deepEqual((await call('/conversation/share/list', bob.token)).data, []);
      refusedWith(await call(`/conversation/share/delete?hash=${hashA}`, bob.token), /not found/);
      assert.equal((await call(`/conversation/view?hash=${hashA}`, '')).status, true);

      assert.deepEqual(await call(`/conversation/share/delete?hash=${hashA}`, user.token), {
        status: true,
        message: '',
      });
      refusedWith(await call(`/conversation/view?hash=${hashA}`, ''), /not found/);
      refusedWith(await call(`/conversation/share/delete?hash=${hashA}`, user.token), /not found/);
      assert.deepEqual(
        (await call('/conversation/share/list', user.token)).data.map((item: Body) => item.hash),
        [hashB],
      );
    });

    it('drops the links of a deleted conversation, so a reused id never shows through them', async () => {
      const user = await createSignedUser(h, 'reuse');
      const record = await conversationOf(user, ['old secret'], 'old');
      const hash = (await call('/conversation/share', user.token, { id: record.id, refs: [-1] })).data;
      await call(`/conversation/delete?id=${record.id}`, user.token);
      const reused = await conversationOf(user, ['new private'], 'new');
      assert.equal(reused.id, record.id);
      refusedWith(await call(`/conversation/view?hash=${hash}`, ''), /not found/);
      const other = await conversationOf(user, ['a'], 'cleaned');
      const otherHash = (await call('/conversation/share', user.token, { id: other.id, refs: [-1] })).data;
      await call('/conversation/clean', user.token);
      refusedWith(await call(`/conversation/view?hash=${otherHash}`, ''), /not found/);
      assert.deepEqual((await call('/conversation/share/list', user.token)).data, []);
    });

    it('refuses bad refs and hashes', async () => {
      const record = await conversationOf(alice, ['only'], 'bounds');
      refusedWith(
        await call('/conversation/share', alice.token, { id: record.id, refs: [1] }),
        /does not exist/,
      );
      for (const refs of [[], [-2], [0.5], ['0'], Array.from({ length: 1001 }, () => 0)])
        refusedWith(await call('/conversation/share', alice.token, { id: record.id, refs }), /refs/);
      for (const hash of ['', 'abc', 'g'.repeat(32), 'a'.repeat(33)]) {
        refusedWith(await call(`/conversation/view?hash=${hash}`, ''), /hash/);
        refusedWith(await call(`/conversation/share/delete?hash=${hash}`, alice.token), /hash/);
      }
    });
  });

  describe('masks', () => {
    const mask = (overrides: Body = {}) => ({
      id: -1,
      avatar: '1f9d0',
      name: 'translator',
      description: 'translates',
      context: [
        { role: 'system', content: 'You translate.' },
        { role: 'user', content: 'hello' },
      ],
      ...overrides,
    });

    it('saves, lists, updates and deletes masks in the front end shapes', async () => {
      const user = await createSignedUser(h, 'masker');
      assert.deepEqual(await call('/conversation/mask/view', user.token), {
        status: true,
        error: '',
        data: [],
      });
      const saved = await call('/conversation/mask/save', user.token, mask());
      assert.equal(saved.status, true);
      assert.equal(saved.error, '');
      const id = saved.data.id as number;
      await call('/conversation/mask/save', user.token, mask({ name: 'second', description: undefined }));
      const view = await call('/conversation/mask/view', user.token);
      assert.equal(view.data.length, 2);
      assert.deepEqual(view.data[1], { ...mask(), id });
      assert.equal(view.data[0].name, 'second');
      assert.equal(view.data[0].description, '');
      assert.deepEqual(await loadMaskContext(db(), user.id, id), mask().context);
      assert.equal(await loadMaskContext(db(), bob.id, id), null);

      const update = mask({
        id,
        name: 'renamed',
        context: [{ role: 'user', content: 'x' }],
        tags: ['ignored'],
      });
      assert.deepEqual(await call('/conversation/mask/save', user.token, update), {
        status: true,
        error: '',
        data: { id },
      });
      // The same values saved again in the same second still count as found.
      assert.equal((await call('/conversation/mask/save', user.token, update)).status, true);
      const updated = (await call('/conversation/mask/view', user.token)).data[1];
      assert.deepEqual(updated, {
        id,
        avatar: '1f9d0',
        name: 'renamed',
        description: 'translates',
        context: [{ role: 'user', content: 'x' }],
      });

      assert.deepEqual(await call('/conversation/mask/delete', user.token, { id }), {
        status: true,
        error: '',
      });
      refusedWith(await call('/conversation/mask/delete', user.token, { id }), /not found/);
      assert.equal((await call('/conversation/mask/view', user.token)).data.length, 1);
    });

    it("never shows or changes a second user's masks", async () => {
      const id = (await call('/conversation/mask/save', alice.token, mask({ name: 'alice mask' }))).data.id;
      assert.ok(!JSON.stringify(await call('/conversation/mask/view', bob.token)).includes('alice mask'));
      refusedWith(
        await call('/conversation/mask/save', bob.token, mask({ id, name: 'stolen' })),
        /not found/,
      );
      refusedWith(await call('/conversation/mask/delete', bob.token, { id }), /not found/);
      const row = await db()('mask').where('id', id).first('name', 'user_id');
      assert.deepEqual({ ...row }, { name: 'alice mask', user_id: alice.id });
    });

    it('loads adopted mask rows leniently and bounds what is saved', async () => {
      const [id] = await db()('mask').insert({ user_id: alice.id, name: 'old', context: 'not json' });
      const listed = (await call('/conversation/mask/view', alice.token)).data.find((m: Body) => m.id === id);
      assert.deepEqual(listed, { id, avatar: '', name: 'old', description: '', context: [] });
      const big = 'x'.repeat(40_000);
      for (const overrides of [
        { id: 0 },
        { id: -2 },
        { name: '' },
        { name: 'n'.repeat(256) },
        { avatar: 'a'.repeat(256) },
        { description: 'é'.repeat(40_000) },
        { context: [{ role: 'wizard', content: 'x' }] },
        { context: Array.from({ length: 101 }, () => ({ role: 'user', content: 'x' })) },
        {
          context: [
            { role: 'user', content: big },
            { role: 'user', content: big },
          ],
        },
        { context: 'x' },
      ])
        refusedWith(await call('/conversation/mask/save', alice.token, mask(overrides)), /Invalid value/);
      refusedWith(await call('/conversation/mask/delete', alice.token, { id: 'x' }), /Invalid value/);
    });
  });
});
