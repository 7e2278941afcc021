// Unit tests for the in-memory channel snapshot: DB row conversion, model access and candidates.
import assert from 'node:assert/strict';
import { seededRandom } from './select.js';
import { ChannelSnapshot, type RoutableChannel, toRoutable } from './snapshot.js';

let nextId = 1;

/** A raw row as the channel table returns it (JSON text columns, tinyint state). */
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = nextId++;
  return {
    id,
    name: `ch${id}`,
    type: 'openai',
    priority: 0,
    weight: 1,
    models: '["gpt-4o"]',
    retry: 1,
    secret: 'sk-test',
    endpoint: 'https://api.example.com',
    mapper: '',
    state: 1,
    group: '[]',
    proxy: '{"proxy":"","proxy_type":0,"username":"","password":""}',
    ...overrides,
  };
}

function snapshotOf(...rows: Record<string, unknown>[]): ChannelSnapshot {
  const snapshot = new ChannelSnapshot(null as never);
  snapshot.set(rows.map(toRoutable));
  return snapshot;
}

describe('channels/snapshot', () => {
  describe('toRoutable', () => {
    it('converts a raw row with JSON text columns', () => {
      const channel = toRoutable(
        row({
          id: 7,
          name: 'main',
          priority: 3,
          weight: 5,
          retry: 2,
          models: '["gpt-4o","gpt-4o-mini"]',
          group: '["pro","admin"]',
          mapper: 'gpt-4>gpt-4o',
        }),
      );
      assert.equal(channel.id, 7);
      assert.equal(channel.name, 'main');
      assert.equal(channel.type, 'openai');
      assert.equal(channel.priority, 3);
      assert.equal(channel.weight, 5);
      assert.equal(channel.retry, 2);
      assert.equal(channel.secret, 'sk-test');
      assert.equal(channel.endpoint, 'https://api.example.com');
      assert.equal(channel.enabled, true);
      assert.deepEqual(channel.rules, [{ from: 'gpt-4', to: 'gpt-4o', hideTarget: false }]);
      assert.deepEqual([...channel.served].sort(), ['gpt-4', 'gpt-4o', 'gpt-4o-mini']);
      assert.deepEqual([...channel.groups].sort(), ['admin', 'pro']);
      assert.equal(channel.proxy, null);
    });

    it('reads state as 1/0 or boolean', () => {
      assert.equal(toRoutable(row({ state: 1 })).enabled, true);
      assert.equal(toRoutable(row({ state: 0 })).enabled, false);
      assert.equal(toRoutable(row({ state: true })).enabled, true);
      assert.equal(toRoutable(row({ state: false })).enabled, false);
    });

    it('coerces numeric strings and raises weight/retry below 1 to 1', () => {
      const channel = toRoutable(row({ id: '12', priority: '-2', weight: 0, retry: 0 }));
      assert.equal(channel.id, 12);
      assert.equal(channel.priority, -2);
      assert.equal(channel.weight, 1);
      assert.equal(channel.retry, 1);
      assert.equal(toRoutable(row({ weight: -4, retry: -1 })).weight, 1);
    });

    it('accepts already-parsed arrays and tolerates bad JSON lists', () => {
      assert.deepEqual([...toRoutable(row({ models: ['a', 'b'] })).served], ['a', 'b']);
      assert.equal(toRoutable(row({ models: 'not json' })).served.size, 0);
      assert.equal(toRoutable(row({ models: '{"a":1}' })).served.size, 0);
      assert.equal(toRoutable(row({ models: '' })).served.size, 0);
      assert.equal(toRoutable(row({ group: '' })).groups.size, 0);
      assert.equal(toRoutable(row({ group: null })).groups.size, 0);
    });

    it('keeps a configured proxy and drops an empty one', () => {
      const proxy = { proxy: 'http://proxy.local:3128', proxy_type: 1, username: 'u', password: 'p' };
      assert.deepEqual(toRoutable(row({ proxy: JSON.stringify(proxy) })).proxy, proxy);
      assert.equal(toRoutable(row({ proxy: '' })).proxy, null);
      assert.equal(toRoutable(row({ proxy: null })).proxy, null);
    });

    it('applies hide rules to the served set', () => {
      const channel = toRoutable(row({ models: '["gpt-4-0613"]', mapper: '!gpt-4>gpt-4-0613' }));
      assert.deepEqual([...channel.served], ['gpt-4']);
    });
  });

  describe('ChannelSnapshot', () => {
    it('starts empty: every model is unknown', () => {
      const snapshot = new ChannelSnapshot(null as never);
      assert.equal(snapshot.access('gpt-4o', 'default'), 'unknown');
      assert.deepEqual(snapshot.candidates('gpt-4o', 'default'), []);
      assert.deepEqual(snapshot.models('default'), []);
    });

    describe('access', () => {
      const snapshot = snapshotOf(
        row({ models: '["open"]' }),
        row({ models: '["pro-only"]', group: '["pro"]' }),
        row({ models: '["down"]', state: 0 }),
        row({ models: '["pro-down"]', group: '["pro"]', state: 0 }),
        row({ models: '["mixed"]', group: '["pro"]' }),
        row({ models: '["mixed"]', state: 0 }),
      );

      it("returns 'unknown' when no channel serves the model", () => {
        assert.equal(snapshot.access('nope', 'default'), 'unknown');
      });

      it("returns 'forbidden' when only other groups' channels serve it", () => {
        assert.equal(snapshot.access('pro-only', 'default'), 'forbidden');
        assert.equal(snapshot.access('pro-down', 'default'), 'forbidden');
      });

      it("returns 'unavailable' when every allowed channel is disabled", () => {
        assert.equal(snapshot.access('down', 'default'), 'unavailable');
        assert.equal(snapshot.access('pro-down', 'pro'), 'unavailable');
        assert.equal(snapshot.access('mixed', 'default'), 'unavailable');
      });

      it("returns 'ok' when an enabled allowed channel serves it", () => {
        assert.equal(snapshot.access('open', 'default'), 'ok');
        assert.equal(snapshot.access('open', 'pro'), 'ok');
        assert.equal(snapshot.access('pro-only', 'pro'), 'ok');
        assert.equal(snapshot.access('mixed', 'pro'), 'ok');
      });

      it('counts mapped source names as served', () => {
        const mapped = snapshotOf(row({ models: '["gpt-4o"]', mapper: 'gpt-4>gpt-4o' }));
        assert.equal(mapped.access('gpt-4', 'default'), 'ok');
      });
    });

    describe('candidates', () => {
      it('filters disabled, wrong-group and unserving channels', () => {
        const snapshot = snapshotOf(
          row({ name: 'ok', models: '["m"]' }),
          row({ name: 'disabled', models: '["m"]', state: 0 }),
          row({ name: 'other-group', models: '["m"]', group: '["vip"]' }),
          row({ name: 'other-model', models: '["x"]' }),
          row({ name: 'my-group', models: '["m"]', group: '["default","vip"]' }),
        );
        const names = snapshot.candidates('m', 'default', seededRandom(1)).map((channel) => channel.name);
        assert.deepEqual(names.sort(), ['my-group', 'ok']);
      });

      it('orders by priority descending', () => {
        const snapshot = snapshotOf(
          row({ name: 'p1', models: '["m"]', priority: 1 }),
          row({ name: 'p9', models: '["m"]', priority: 9 }),
          row({ name: 'p5a', models: '["m"]', priority: 5 }),
          row({ name: 'p5b', models: '["m"]', priority: 5 }),
        );
        for (let seed = 0; seed < 20; seed++) {
          const ordered = snapshot.candidates('m', 'default', seededRandom(seed));
          assert.deepEqual(
            ordered.map((channel: RoutableChannel) => channel.priority),
            [9, 5, 5, 1],
          );
          assert.equal(ordered[0].name, 'p9');
          assert.equal(ordered[3].name, 'p1');
        }
      });

      it('is reproducible with a seeded random source', () => {
        const snapshot = snapshotOf(
          ...Array.from({ length: 6 }, (_, i) => row({ name: `c${i}`, models: '["m"]', weight: i + 1 })),
        );
        const a = snapshot.candidates('m', 'default', seededRandom(8)).map((channel) => channel.name);
        const b = snapshot.candidates('m', 'default', seededRandom(8)).map((channel) => channel.name);
        assert.deepEqual(a, b);
      });

      it('reflects set() replacing the snapshot', () => {
        const snapshot = snapshotOf(row({ models: '["m"]' }));
        assert.equal(snapshot.candidates('m', 'default').length, 1);
        snapshot.set([]);
        assert.equal(snapshot.candidates('m', 'default').length, 0);
        assert.equal(snapshot.access('m', 'default'), 'unknown');
      });
    });

    describe('models', () => {
      it('lists the sorted served models of enabled channels the group may use', () => {
        const snapshot = snapshotOf(
          row({ models: '["b","a"]' }),
          row({ models: '["vip-model","a"]', group: '["vip"]' }),
          row({ models: '["disabled-model"]', state: 0 }),
          row({ models: '["gpt-4o"]', mapper: '!gpt-4>gpt-4o' }),
        );
        assert.deepEqual(snapshot.models('default'), ['a', 'b', 'gpt-4']);
        assert.deepEqual(snapshot.models('vip'), ['a', 'b', 'gpt-4', 'vip-model']);
      });
    });
  });
});
