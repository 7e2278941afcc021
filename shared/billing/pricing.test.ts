// Unit tests for the billing math in micro-points: exact decimals, rounding half up, and
// prices that floats would get wrong.
import assert from 'node:assert/strict';
import { formatMicro, microToPoints, toMicro } from './money.js';
import { costOf, holdEstimate, outputMicrosPer1k } from './pricing.js';

const token = { type: 'token-billing' as const, input: 1, output: 2 };

describe('billing/pricing', () => {
  it('charges token-billing per 1k tokens, exactly', () => {
    assert.equal(costOf(token, 10, 20), 50_000n);
    assert.equal(formatMicro(costOf(token, 1234, 5678)), '12.590000');
    // 0.1 + 0.2 per 1k at 1k tokens each: floats say 0.30000000000000004.
    assert.equal(
      formatMicro(costOf({ type: 'token-billing', input: 0.1, output: 0.2 }, 1000, 1000)),
      '0.300000',
    );
  });

  it('rounds to the micro-point half up', () => {
    // 0.0015 points per 1k tokens for 1 token = 0.0000015 points = 1.5 micro-points.
    assert.equal(costOf({ type: 'token-billing', input: 0.0015, output: 0 }, 1, 0), 2n);
    assert.equal(costOf({ type: 'token-billing', input: 0.0014, output: 0 }, 1, 0), 1n);
  });

  it('charges times-billing per request and nothing for non-billing', () => {
    assert.equal(costOf({ type: 'times-billing', input: 5, output: 0.5 }, 1e6, 1e6), 500_000n);
    assert.equal(costOf({ type: 'non-billing', input: 5, output: 5 }, 100, 100), 0n);
  });

  it('stays exact for balances and budgets beyond float precision', () => {
    const huge = toMicro('1000000000000.000001');
    assert.equal(formatMicro(huge + 1n), '1000000000000.000002');
    assert.equal(holdEstimate(token, 0, 100_000_000), 200_000_000_000n);
    assert.equal(outputMicrosPer1k(token), 2_000_000n);
    assert.equal(microToPoints(12_345n), 0.012345);
  });
});
