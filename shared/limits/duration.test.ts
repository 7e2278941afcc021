// Unit tests for the reset-duration and Retry-After formats.
import assert from 'node:assert/strict';
import { formatResetDuration, retryAfterSeconds } from './duration.js';

describe('limits: durations', () => {
  it('formats like OpenAI (Go durations)', () => {
    assert.equal(formatResetDuration(0), '0s');
    assert.equal(formatResetDuration(-5), '0s');
    assert.equal(formatResetDuration(20), '20ms');
    assert.equal(formatResetDuration(0.2), '1ms');
    assert.equal(formatResetDuration(999), '999ms');
    assert.equal(formatResetDuration(1000), '1s');
    assert.equal(formatResetDuration(8640), '8.64s');
    assert.equal(formatResetDuration(60_000), '1m0s');
    assert.equal(formatResetDuration(360_000), '6m0s');
    assert.equal(formatResetDuration(86_400), '1m26.4s');
    assert.equal(formatResetDuration(3_600_000), '1h0m0s');
    assert.equal(formatResetDuration(3_723_500), '1h2m3.5s');
  });

  it('gives Retry-After in whole seconds, at least 1', () => {
    assert.equal(retryAfterSeconds(0), 1);
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(1000), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(59_999), 60);
  });
});
