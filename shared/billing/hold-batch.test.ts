// Unit tests for what one balance can hold: the full amount, an output budget shrunk to what
// the balance covers (never below the minimum), or nothing.
import assert from 'node:assert/strict';
import { grantFor } from './hold-batch.js';
import { toMicro } from './money.js';

const shrink = { fixed: toMicro('0.01'), per1k: toMicro('2'), tokens: 4096, minTokens: 256 };

describe('billing/hold-batch grantFor', () => {
  it('grants the full amount when the balance covers it', () => {
    assert.deepEqual(
      grantFor(toMicro('10'), { requestId: 'a', userId: 1, amount: toMicro('8.202'), shrink }),
      {
        amount: toMicro('8.202'),
        tokens: null,
      },
    );
  });

  it('shrinks the output budget to what the balance covers', () => {
    const grant = grantFor(toMicro('5'), { requestId: 'a', userId: 1, amount: toMicro('8.202'), shrink });
    assert.deepEqual(grant, { amount: toMicro('5'), tokens: 2495 });
    assert.ok(grant && grant.amount <= toMicro('5'));
  });

  it('refuses below the minimum budget, and without a way to shrink', () => {
    assert.equal(
      grantFor(toMicro('0.5'), { requestId: 'a', userId: 1, amount: toMicro('8.202'), shrink }),
      null,
    );
    assert.equal(grantFor(toMicro('5'), { requestId: 'a', userId: 1, amount: toMicro('8.202') }), null);
    assert.equal(grantFor(toMicro('0'), { requestId: 'a', userId: 1, amount: toMicro('0.001') }), null);
  });

  it('never holds more than the balance, whatever the rounding', () => {
    for (let balance = toMicro('0.5'); balance < toMicro('9'); balance += 137_001n) {
      const grant = grantFor(balance, {
        requestId: 'a',
        userId: 1,
        amount: toMicro('9'),
        shrink: { ...shrink, per1k: toMicro('1.3') },
      });
      if (grant) assert.ok(grant.amount <= balance, `${balance}: ${grant.amount}`);
    }
  });
});
