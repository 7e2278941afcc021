// Unit tests for plan validation and the covering-item lookup used by the relay hold step.
import assert from 'node:assert/strict';
import { findCoveringItem, type Plan, plansSchema } from './plans.js';

const item = (id: string, models: string[], value = 10) => ({ id, name: id, icon: '', value, models });
const plan = (level: number, items = [item('chat', ['gpt-4o'])], price = 10) => ({
  level,
  name: `plan ${level}`,
  price,
  items,
});

describe('billing/plans', () => {
  describe('plansSchema', () => {
    it('accepts levels 1-3 with defaults for icon and models', () => {
      const parsed = plansSchema.parse([
        { level: 1, name: 'basic', price: 0, items: [{ id: 'a', name: 'A', value: -1 }] },
      ]);
      assert.deepEqual(parsed[0].items[0], { id: 'a', name: 'A', icon: '', value: -1, models: [] });
      assert.equal(plansSchema.safeParse([plan(1), plan(2), plan(3)]).success, true);
      assert.equal(plansSchema.safeParse([]).success, true);
    });

    it('rejects duplicate or out-of-range levels, negative prices and bad item values', () => {
      const invalid: [string, unknown][] = [
        ['duplicate level', [plan(1), plan(1)]],
        ['level 0', [plan(0)]],
        ['level 4', [plan(4)]],
        ['negative price', [plan(1, undefined, -1)]],
        ['value -2', [plan(1, [item('a', [], -2)])]],
        ['fractional value', [plan(1, [item('a', [], 1.5)])]],
        ['duplicate item id', [plan(1, [item('a', []), item('a', ['x'])])]],
        ['item ids differing in case only', [plan(1, [item('Chat', []), item('chat', [])])]],
        ['empty name', [{ ...plan(1), name: ' ' }]],
        ['not an array', { level: 1 }],
      ];
      for (const [label, input] of invalid) assert.equal(plansSchema.safeParse(input).success, false, label);
    });

    it('allows the same item id in different plans', () => {
      assert.equal(plansSchema.safeParse([plan(1), plan(2)]).success, true);
    });
  });

  describe('findCoveringItem', () => {
    const plans: Plan[] = plansSchema.parse([
      plan(1, [item('small', ['gpt-4o-mini'])]),
      plan(3, [item('first', ['gpt-4o', 'claude']), item('second', ['gpt-4o', 'o3'])]),
    ]);

    it('returns the first item of the level that lists the model', () => {
      assert.equal(findCoveringItem(plans, 3, 'gpt-4o')?.id, 'first');
      assert.equal(findCoveringItem(plans, 3, 'o3')?.id, 'second');
      assert.equal(findCoveringItem(plans, 1, 'gpt-4o-mini')?.id, 'small');
    });

    it('is null for other levels, unlisted models and no subscription', () => {
      assert.equal(findCoveringItem(plans, 1, 'gpt-4o'), null);
      assert.equal(findCoveringItem(plans, 2, 'gpt-4o'), null);
      assert.equal(findCoveringItem(plans, 0, 'gpt-4o-mini'), null);
      assert.equal(findCoveringItem(plans, 3, 'GPT-4O'), null, 'model names are exact');
    });
  });
});
