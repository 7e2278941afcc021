// Unit tests for what one balance can hold: the full amount, an output budget shrunk to what
// the balance covers (never below the minimum), or nothing.
import assert from 'node:assert/strict';
import { grantFor } from './hold-batch.js';

const shrink = { fixed: 0.01, perToken: 0.002, tokens: 4096, minTokens: 256 };

describe('billing/hold-batch grantFor', () => {
  it('grants the full amount when the balance covers it', () => {
    assert.deepEqual(grantFor(10, { requestId: 'a', userId: 1, amount: 8.202, shrink }), {
      amount: 8.202,
      tokens: null,
    });
  });

  it('shrinks the output budget to what the balance covers', () => {
    const grant = grantFor(5, { requestId: 'a', userId: 1, amount: 8.202, shrink });
    assert.deepEqual(grant, { amount: 5, tokens: 2495 });
    assert.ok(grant && grant.amount <= 5);
  });

  it('refuses below the minimum budget, and without a way to shrink', () => {
    assert.equal(grantFor(0.5, { requestId: 'a', userId: 1, amount: 8.202, shrink }), null);
    assert.equal(grantFor(5, { requestId: 'a', userId: 1, amount: 8.202 }), null);
    assert.equal(grantFor(0, { requestId: 'a', userId: 1, amount: 0.001 }), null);
  });

  it('never holds more than the balance, whatever the rounding', () => {
    for (let balance = 0.5; balance < 9; balance += 0.137) {
      const grant = grantFor(balance, {
        requestId: 'a',
        userId: 1,
        amount: 9,
        shrink: { ...shrink, perToken: 0.0013 },
      });
      if (grant) assert.ok(grant.amount <= balance + 1e-12, `${balance}: ${grant.amount}`);
    }
  });
});
