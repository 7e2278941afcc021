// Unit tests for clientFacingError: which gateway error a client sees for an upstream failure.
import assert from 'node:assert/strict';
import { UpstreamError } from '../../shared/providers/upstream-error.js';
import { clientFacingError } from './failover.js';

describe('relay/failover clientFacingError', () => {
  it('keeps the 4xx status of a client error', () => {
    for (const status of [400, 409, 413, 422]) {
      const error = clientFacingError(new UpstreamError('client', 'bad request body', status));
      assert.equal(error.status, status);
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.code, 'upstream_rejected_request');
      assert.equal(error.message, 'bad request body');
    }
  });

  it('falls back to 400 for a client error without a 4xx status', () => {
    assert.equal(clientFacingError(new UpstreamError('client', 'x')).status, 400);
    assert.equal(clientFacingError(new UpstreamError('client', 'x', 200)).status, 400);
    assert.equal(clientFacingError(new UpstreamError('client', 'x', 500)).status, 400);
  });

  it('maps a timeout to 504 upstream_timeout', () => {
    const error = clientFacingError(new UpstreamError('timeout', 'slow'));
    assert.equal(error.status, 504);
    assert.equal(error.code, 'upstream_timeout');
  });

  it('maps other kinds to 502 upstream_failed with the message', () => {
    for (const kind of ['server', 'network', 'auth', 'rate_limit'] as const) {
      const error = clientFacingError(new UpstreamError(kind, `${kind} broke`, 500));
      assert.equal(error.status, 502);
      assert.equal(error.code, 'upstream_failed');
      assert.equal(error.type, 'upstream_error');
      assert.match(error.message, new RegExp(`${kind} broke`));
    }
  });

  it('never leaks an upstream host or key in the message', () => {
    const error = clientFacingError(
      new UpstreamError('server', 'failed calling https://secret.host/v1 with sk-abcdefghijkl', 500),
    );
    assert.doesNotMatch(error.message, /secret\.host|sk-abcdefghijkl/);
  });
});
