// Unit tests for candidate ordering: priority tiers, seeded weighted shuffles and secret picking.
import assert from 'node:assert/strict';
import { orderCandidates, pickSecret, seededRandom, weightedShuffle } from './select.js';

interface Item {
  id: string;
  priority: number;
  weight: number;
}

const item = (id: string, priority: number, weight = 1): Item => ({ id, priority, weight });
const ids = (items: Item[]) => items.map((entry) => entry.id);

/** A random source that replays fixed values. */
function replay(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length];
}

describe('channels/select', () => {
  describe('seededRandom', () => {
    it('is reproducible for the same seed and differs across seeds', () => {
      const a = seededRandom(42);
      const b = seededRandom(42);
      const c = seededRandom(43);
      const seqA = Array.from({ length: 10 }, a);
      const seqB = Array.from({ length: 10 }, b);
      const seqC = Array.from({ length: 10 }, c);
      assert.deepEqual(seqA, seqB);
      assert.notDeepEqual(seqA, seqC);
    });

    it('yields values in [0, 1)', () => {
      const random = seededRandom(7);
      for (let i = 0; i < 5000; i++) {
        const value = random();
        assert.ok(value >= 0 && value < 1, `value ${value} out of range`);
      }
    });
  });

  describe('weightedShuffle', () => {
    it('returns an empty array for no items', () => {
      assert.deepEqual(weightedShuffle([], seededRandom(1)), []);
    });

    it('draws by cumulative weight', () => {
      const items = [item('a', 0, 1), item('b', 0, 3)];
      // total 4: a point below 1 picks a, anything else picks b.
      assert.deepEqual(ids(weightedShuffle(items, replay(0.2, 0))), ['a', 'b']);
      assert.deepEqual(ids(weightedShuffle(items, replay(0.25, 0))), ['b', 'a']);
      assert.deepEqual(ids(weightedShuffle(items, replay(0.9999, 0))), ['b', 'a']);
    });

    it('draws without replacement: every item exactly once', () => {
      const items = Array.from({ length: 12 }, (_, i) => item(`c${i}`, 0, (i % 4) + 1));
      const random = seededRandom(99);
      for (let round = 0; round < 200; round++) {
        const shuffled = weightedShuffle(items, random);
        assert.equal(shuffled.length, items.length);
        assert.deepEqual(new Set(ids(shuffled)), new Set(ids(items)));
      }
    });

    it('does not mutate its input', () => {
      const items = [item('a', 0), item('b', 0), item('c', 0)];
      const copy = [...items];
      weightedShuffle(items, seededRandom(3));
      assert.deepEqual(items, copy);
    });

    it('treats weight 0 and negative weights as 1', () => {
      const items = [item('zero', 0, 0), item('neg', 0, -5), item('one', 0, 1)];
      // total 3: thirds pick zero, neg, one in order.
      assert.equal(weightedShuffle(items, replay(0.1))[0].id, 'zero');
      assert.equal(weightedShuffle(items, replay(0.5))[0].id, 'neg');
      assert.equal(weightedShuffle(items, replay(0.9))[0].id, 'one');
    });
  });

  describe('orderCandidates', () => {
    it('orders tiers by priority, highest first', () => {
      const items = [item('low', 1), item('high', 10), item('mid', 5), item('neg', -3)];
      assert.deepEqual(ids(orderCandidates(items, seededRandom(1))), ['high', 'mid', 'low', 'neg']);
    });

    it('keeps every channel exactly once and tiers contiguous', () => {
      const items = [
        item('a1', 2, 1),
        item('b1', 1, 4),
        item('a2', 2, 2),
        item('b2', 1, 1),
        item('a3', 2, 9),
        item('c1', 0, 1),
      ];
      const random = seededRandom(5);
      for (let round = 0; round < 500; round++) {
        const ordered = orderCandidates(items, random);
        assert.equal(ordered.length, items.length);
        assert.deepEqual(new Set(ids(ordered)), new Set(ids(items)));
        assert.deepEqual(
          ordered.map((entry) => entry.priority),
          [2, 2, 2, 1, 1, 0],
        );
      }
    });

    it('is reproducible with the same seed', () => {
      const items = Array.from({ length: 8 }, (_, i) => item(`c${i}`, i % 2, i + 1));
      const first = ids(orderCandidates(items, seededRandom(1234)));
      const second = ids(orderCandidates(items, seededRandom(1234)));
      assert.deepEqual(first, second);
    });

    it('produces different orders across seeds inside a tier', () => {
      const items = Array.from({ length: 6 }, (_, i) => item(`c${i}`, 0, 1));
      const orders = new Set<string>();
      for (let seed = 0; seed < 50; seed++)
        orders.add(ids(orderCandidates(items, seededRandom(seed))).join(','));
      assert.ok(orders.size > 10, `only ${orders.size} distinct orders`);
    });

    it('picks first within a tier proportionally to weight (1:3 ~ 25%/75%)', () => {
      const items = [item('light', 1, 1), item('heavy', 1, 3), item('backup', 0, 100)];
      const random = seededRandom(2024);
      const draws = 20_000;
      let light = 0;
      for (let i = 0; i < draws; i++) {
        const ordered = orderCandidates(items, random);
        if (ordered[0].id === 'light') light++;
        assert.equal(ordered[2].id, 'backup');
      }
      const share = light / draws;
      assert.ok(Math.abs(share - 0.25) < 0.02, `light first ${share}`);
    });

    it('treats weight 0 / negative as weight 1 statistically', () => {
      const items = [item('zero', 0, 0), item('neg', 0, -10), item('one', 0, 1)];
      const random = seededRandom(77);
      const counts: Record<string, number> = { zero: 0, neg: 0, one: 0 };
      const draws = 15_000;
      for (let i = 0; i < draws; i++) counts[orderCandidates(items, random)[0].id]++;
      for (const [id, count] of Object.entries(counts)) {
        assert.ok(Math.abs(count / draws - 1 / 3) < 0.02, `${id} first ${count / draws}`);
      }
    });

    it('handles an empty list and a single channel', () => {
      assert.deepEqual(orderCandidates([], seededRandom(1)), []);
      assert.deepEqual(ids(orderCandidates([item('only', 3, 0)], seededRandom(1))), ['only']);
    });

    it('uses Math.random by default', () => {
      const items = [item('a', 1), item('b', 2)];
      assert.deepEqual(ids(orderCandidates(items)), ['b', 'a']);
    });
  });

  describe('pickSecret', () => {
    it('returns a single-line secret trimmed', () => {
      assert.equal(pickSecret('  sk-one  ', seededRandom(1)), 'sk-one');
    });

    it('picks one line of a multi-line secret by the random source', () => {
      const secret = 'sk-a\nsk-b\nsk-c';
      assert.equal(pickSecret(secret, replay(0)), 'sk-a');
      assert.equal(pickSecret(secret, replay(0.4)), 'sk-b');
      assert.equal(pickSecret(secret, replay(0.99)), 'sk-c');
    });

    it('ignores blank lines, trims, and accepts CRLF', () => {
      const secret = '\n  sk-a \r\n\r\n   \n\tsk-b\t\n';
      const random = seededRandom(11);
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) seen.add(pickSecret(secret, random));
      assert.deepEqual([...seen].sort(), ['sk-a', 'sk-b']);
    });

    it('keeps multi-part a|b secrets as one line', () => {
      assert.equal(pickSecret('app-id|app-secret', seededRandom(1)), 'app-id|app-secret');
      const seen = new Set<string>();
      const random = seededRandom(3);
      for (let i = 0; i < 100; i++) seen.add(pickSecret('x|y\nz|w', random));
      assert.deepEqual([...seen].sort(), ['x|y', 'z|w']);
    });

    it('returns an empty string for empty or blank secrets', () => {
      assert.equal(pickSecret('', seededRandom(1)), '');
      assert.equal(pickSecret(' \n\r\n \t', seededRandom(1)), '');
    });
  });
});
