// Unit tests for the error family: the OpenAI body and the trip through the relay as JSON.
import assert from 'node:assert/strict';
import { errors, GatewayError } from './errors.js';

describe('errors', () => {
  it('renders the OpenAI error body', () => {
    assert.deepEqual(errors.modelNotFound('m').toBody(), {
      error: {
        message: 'The model `m` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      },
    });
  });

  it('keeps status, code and the retryable flag through JSON', () => {
    for (const error of [
      errors.upstreamTimeout(),
      errors.invalidRequest('bad', 'n'),
      errors.dependencyUnavailable(),
    ]) {
      const back = GatewayError.fromJSON(JSON.parse(JSON.stringify(error.toJSON())));
      assert.deepEqual(
        [back.status, back.type, back.code, back.param, back.retryable, back.message],
        [error.status, error.type, error.code, error.param, error.retryable, error.message],
      );
    }
    assert.equal(errors.upstreamTimeout().retryable, true);
    assert.equal(errors.invalidRequest('bad').retryable, false);
  });
});
