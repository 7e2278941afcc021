// Unit tests for OpenAI error mapping: HTTP error bodies and in-stream error frames.
import assert from 'node:assert/strict';
import { UpstreamError } from '../upstream-error.js';
import { errorFromResponse, errorFromStreamPayload } from './errors.js';

const openaiError = (message: string, type = 'invalid_request_error', code: string | null = null) =>
  JSON.stringify({ error: { message, type, param: null, code } });

describe('providers/openai/errors', () => {
  describe('errorFromResponse', () => {
    it('uses the OpenAI error message and classifies the status', () => {
      const error = errorFromResponse(400, {}, openaiError("Invalid value for 'n': must be >= 1."));
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.kind, 'client');
      assert.equal(error.status, 400);
      assert.equal(error.message, "Invalid value for 'n': must be >= 1.");
      assert.equal(error.retryAfterMs, null);
    });

    it('classifies every status family', () => {
      const kinds: [number, string][] = [
        [401, 'auth'],
        [403, 'auth'],
        [404, 'auth'],
        [408, 'timeout'],
        [413, 'client'],
        [422, 'client'],
        [429, 'rate_limit'],
        [500, 'server'],
        [502, 'server'],
        [503, 'server'],
      ];
      for (const [status, kind] of kinds)
        assert.equal(errorFromResponse(status, {}, '').kind, kind, String(status));
    });

    it('reads a string error', () => {
      const error = errorFromResponse(503, {}, JSON.stringify({ error: 'model overloaded' }));
      assert.equal(error.message, 'model overloaded');
      assert.equal(error.kind, 'server');
    });

    it('reads a top-level message', () => {
      assert.equal(errorFromResponse(500, {}, JSON.stringify({ message: 'boom' })).message, 'boom');
    });

    it('keeps a generic message for HTML, empty or odd bodies', () => {
      const html =
        '<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>';
      assert.equal(errorFromResponse(502, {}, html).message, 'upstream answered HTTP 502');
      assert.equal(errorFromResponse(500, {}, '').message, 'upstream answered HTTP 500');
      assert.equal(
        errorFromResponse(500, {}, '{"error":{"message":""}}').message,
        'upstream answered HTTP 500',
      );
      assert.equal(
        errorFromResponse(500, {}, '{"error":{"message":42}}').message,
        'upstream answered HTTP 500',
      );
      assert.equal(errorFromResponse(500, {}, 'null').message, 'upstream answered HTTP 500');
    });

    it('parses Retry-After headers on 429', () => {
      const error = errorFromResponse(
        429,
        { 'retry-after': '2' },
        openaiError('Rate limit reached', 'requests'),
      );
      assert.equal(error.kind, 'rate_limit');
      assert.equal(error.retryAfterMs, 2000);
      const ms = errorFromResponse(429, { 'retry-after-ms': '350', 'retry-after': '1' }, '');
      assert.equal(ms.retryAfterMs, 350);
    });

    it('scrubs hosts and keys from upstream messages', () => {
      const error = errorFromResponse(
        401,
        {},
        openaiError(
          'Incorrect API key provided: sk-proj-AAAABBBBCCCC1234. See https://platform.openai.com/account',
        ),
      );
      assert.doesNotMatch(error.message, /sk-proj-AAAABBBBCCCC1234|platform\.openai\.com/);
      assert.equal(error.kind, 'auth');
    });
  });

  describe('errorFromStreamPayload', () => {
    it('reads an object error message', () => {
      const error = errorFromStreamPayload({
        error: { message: 'The server had an error', type: 'server_error' },
      });
      assert.ok(error instanceof UpstreamError);
      assert.equal(error.kind, 'server');
      assert.equal(error.message, 'The server had an error');
      assert.equal(error.status, null);
    });

    it('reads a string error', () => {
      assert.equal(errorFromStreamPayload({ error: 'overloaded' }).message, 'overloaded');
    });

    it('falls back to a generic message', () => {
      assert.equal(errorFromStreamPayload({ error: { code: 'x' } }).message, 'upstream stream error');
      assert.equal(errorFromStreamPayload({}).message, 'upstream stream error');
    });

    it('scrubs the message', () => {
      const error = errorFromStreamPayload({ error: { message: 'failed at http://10.0.0.9:81/v1' } });
      assert.equal(error.message, 'failed at [upstream]');
    });
  });
});
