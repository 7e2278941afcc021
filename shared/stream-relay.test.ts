// Unit tests for the relay protocol: publisher batching and sequence numbers, receiver ordering and gaps.
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import type { PubSub } from './pubsub.js';
import { isTerminal, type RelayEvent, RelayPublisher, RelayReceiver } from './stream-relay.js';

type Envelope = [string, number, RelayEvent];

function fakeRedis() {
  const published: { channel: string; envelopes: Envelope[] }[] = [];
  let execs = 0;
  const redis = {
    pipeline() {
      return {
        publish(channel: string, message: string) {
          published.push({ channel, envelopes: JSON.parse(message) as Envelope[] });
        },
        async exec() {
          execs++;
          return [];
        },
      };
    },
  };
  return { redis: redis as unknown as Redis, published, execs: () => execs };
}

function fakePubSub() {
  const handlers = new Map<string, (message: string) => void>();
  const pubsub = {
    subscribe: async (channel: string, handler: (message: string) => void) => {
      handlers.set(channel, handler);
    },
  };
  const deliver = (channel: string, envelopes: Envelope[] | string) =>
    handlers.get(channel)?.(typeof envelopes === 'string' ? envelopes : JSON.stringify(envelopes));
  return { pubsub: pubsub as unknown as PubSub, handlers, deliver };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const delta = (content: string): RelayEvent => ({
  t: 'delta',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

describe('stream-relay', () => {
  it('isTerminal is true for end, error and completion only', () => {
    assert.equal(isTerminal({ t: 'end', reason: 'stop' }), true);
    assert.equal(
      isTerminal({ t: 'error', error: { message: 'x', status: 500, type: 't', code: null, param: null } }),
      true,
    );
    assert.equal(
      isTerminal({
        t: 'completion',
        choices: [],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      }),
      true,
    );
    assert.equal(isTerminal(delta('x')), false);
    assert.equal(isTerminal({ t: 'hb' }), false);
    assert.equal(
      isTerminal({ t: 'usage', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
      false,
    );
  });

  describe('RelayPublisher', () => {
    it('keeps no counter for requests that ended, with or without a terminal event', async () => {
      const { redis } = fakeRedis();
      const publisher = new RelayPublisher(redis);
      publisher.send('api:1', 'done', delta('x'));
      publisher.send('api:1', 'done', { t: 'end', reason: 'stop' });
      publisher.send('api:1', 'cancelled', delta('y'));
      assert.equal(publisher.tracked, 1, 'a cancelled request sends no terminal event');
      publisher.forget('cancelled');
      assert.equal(publisher.tracked, 0);
      await tick();
    });

    it('batches events of one tick into one publish per reply channel with sequence numbers', async () => {
      const { redis, published, execs } = fakeRedis();
      const publisher = new RelayPublisher(redis);
      publisher.send('api:1', 'req-a', delta('a0'));
      publisher.send('api:2', 'req-b', delta('b0'));
      publisher.send('api:1', 'req-a', delta('a1'));
      publisher.send('api:1', 'req-c', { t: 'hb' });
      publisher.send('api:1', 'req-a', { t: 'end', reason: 'stop' });
      assert.equal(published.length, 0);
      await tick();
      assert.equal(execs(), 1);
      assert.deepEqual(published, [
        {
          channel: 'api:1',
          envelopes: [
            ['req-a', 0, delta('a0')],
            ['req-a', 1, delta('a1')],
            ['req-c', 0, { t: 'hb' }],
            ['req-a', 2, { t: 'end', reason: 'stop' }],
          ],
        },
        { channel: 'api:2', envelopes: [['req-b', 0, delta('b0')]] },
      ]);
    });

    it('continues sequence numbers across ticks and restarts after a terminal event', async () => {
      const { redis, published } = fakeRedis();
      const publisher = new RelayPublisher(redis);
      publisher.send('api', 'r', delta('0'));
      await tick();
      publisher.send('api', 'r', delta('1'));
      publisher.send('api', 'r', { t: 'end', reason: 'stop' });
      await tick();
      publisher.send('api', 'r', delta('again'));
      await tick();
      assert.deepEqual(
        published.map((p) => p.envelopes.map(([id, seq]) => `${id}:${seq}`)),
        [['r:0'], ['r:1', 'r:2'], ['r:0']],
      );
    });

    it('flush publishes immediately and a scheduled flush then sends nothing', async () => {
      const { redis, published, execs } = fakeRedis();
      const publisher = new RelayPublisher(redis);
      publisher.send('api', 'r', delta('x'));
      await publisher.flush();
      assert.equal(published.length, 1);
      await tick();
      assert.equal(published.length, 1);
      assert.equal(execs(), 1);
      await publisher.flush();
      assert.equal(execs(), 1);
    });
  });

  describe('RelayReceiver', () => {
    it('subscribes to its channel on start', async () => {
      const { pubsub, handlers } = fakePubSub();
      const receiver = new RelayReceiver(pubsub, 'relay:api-1');
      await receiver.start();
      assert.deepEqual([...handlers.keys()], ['relay:api-1']);
      assert.equal(receiver.channel, 'relay:api-1');
    });

    it('dispatches events by request id in order', async () => {
      const { pubsub, deliver } = fakePubSub();
      const receiver = new RelayReceiver(pubsub, 'ch');
      await receiver.start();
      const a: RelayEvent[] = [];
      const b: RelayEvent[] = [];
      receiver.register('a', (event) => a.push(event));
      receiver.register('b', (event) => b.push(event));
      assert.equal(receiver.active, 2);
      deliver('ch', [
        ['a', 0, delta('a0')],
        ['b', 0, delta('b0')],
        ['a', 1, delta('a1')],
        ['unknown', 0, delta('z')],
      ]);
      deliver('ch', [
        ['b', 1, { t: 'end', reason: 'stop' }],
        ['a', 2, { t: 'hb' }],
      ]);
      assert.deepEqual(a, [delta('a0'), delta('a1'), { t: 'hb' }]);
      assert.deepEqual(b, [delta('b0'), { t: 'end', reason: 'stop' }]);
    });

    it('works end to end with the publisher', async () => {
      const { redis, published } = fakeRedis();
      const { pubsub, deliver } = fakePubSub();
      const receiver = new RelayReceiver(pubsub, 'ch');
      await receiver.start();
      const got: RelayEvent[] = [];
      receiver.register('r', (event) => got.push(event));
      const publisher = new RelayPublisher(redis);
      const sent: RelayEvent[] = [
        delta('x'),
        { t: 'usage', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
        { t: 'end', reason: 'stop' },
      ];
      for (const event of sent) publisher.send('ch', 'r', event);
      await publisher.flush();
      for (const message of published) deliver(message.channel, message.envelopes);
      assert.deepEqual(got, sent);
    });

    it("delivers an error with code 'worker_lost' on a sequence gap and stops the request", async () => {
      const { pubsub, deliver } = fakePubSub();
      const receiver = new RelayReceiver(pubsub, 'ch');
      await receiver.start();
      const got: RelayEvent[] = [];
      const other: RelayEvent[] = [];
      receiver.register('r', (event) => got.push(event));
      receiver.register('o', (event) => other.push(event));
      deliver('ch', [
        ['r', 0, delta('0')],
        ['r', 2, delta('2')],
        ['o', 0, delta('fine')],
      ]);
      deliver('ch', [['r', 3, delta('3')]]);
      assert.equal(got.length, 2);
      assert.deepEqual(got[0], delta('0'));
      const lost = got[1];
      assert.equal(lost.t, 'error');
      if (lost.t !== 'error') return;
      assert.equal(lost.error.code, 'worker_lost');
      assert.equal(lost.error.status, 502);
      assert.deepEqual(other, [delta('fine')]);
      assert.equal(receiver.active, 1);
    });

    it('treats a repeated sequence number as a gap', async () => {
      const { pubsub, deliver } = fakePubSub();
      const receiver = new RelayReceiver(pubsub, 'ch');
      await receiver.start();
      const got: RelayEvent[] = [];
      receiver.register('r', (event) => got.push(event));
      deliver('ch', [
        ['r', 0, delta('0')],
        ['r', 0, delta('0')],
      ]);
      assert.deepEqual(
        got.map((event) => event.t),
        ['delta', 'error'],
      );
    });

    it('ignores malformed messages and unregistered handlers', async () => {
      const { pubsub, deliver } = fakePubSub();
      const receiver = new RelayReceiver(pubsub, 'ch');
      await receiver.start();
      const got: RelayEvent[] = [];
      const unregister = receiver.register('r', (event) => got.push(event));
      deliver('ch', 'not json');
      deliver('ch', [['r', 0, delta('0')]]);
      unregister();
      assert.equal(receiver.active, 0);
      deliver('ch', [['r', 1, delta('1')]]);
      assert.deepEqual(got, [delta('0')]);
    });
  });
});
