// Unit tests for upstream error classification, Retry-After parsing and message scrubbing.
import assert from 'node:assert/strict';
import { CancelledError, classifyStatus, parseRetryAfter, scrub, UpstreamError } from './upstream-error.js';

describe('providers/upstream-error', () => {
  describe('classifyStatus', () => {
    const table: [number, string][] = [
      [400, 'client'],
      [401, 'auth'],
      [403, 'auth'],
      [404, 'auth'],
      [408, 'timeout'],
      [409, 'client'],
      [413, 'client'],
      [422, 'client'],
      [429, 'rate_limit'],
      [500, 'server'],
      [502, 'server'],
      [503, 'server'],
      [504, 'server'],
      [529, 'server'],
    ];
    for (const [status, kind] of table) {
      it(`classifies ${status} as ${kind}`, () => {
        assert.equal(classifyStatus(status), kind);
      });
    }
  });

  describe('parseRetryAfter', () => {
    it('treats empty or blank header values as absent', () => {
      assert.equal(parseRetryAfter({ 'retry-after-ms': '', 'retry-after': ' ' }), null);
      assert.equal(parseRetryAfter({ 'retry-after-ms': ' ', 'retry-after': '2' }), 2000);
    });

    it('scrubs localhost addresses and bearer tokens with a space', () => {
      assert.equal(scrub('dial localhost:8080 failed'), 'dial [upstream] failed');
      assert.ok(!scrub('sent Bearer abcdefgh12345678').includes('abcdefgh12345678'));
    });

    it('reads whole seconds', () => {
      assert.equal(parseRetryAfter({ 'retry-after': '3' }), 3000);
      assert.equal(parseRetryAfter({ 'retry-after': '0' }), 0);
    });

    it('reads fractional seconds', () => {
      assert.equal(parseRetryAfter({ 'retry-after': '1.5' }), 1500);
      assert.equal(parseRetryAfter({ 'retry-after': '0.25' }), 250);
    });

    it('clamps negative seconds to 0', () => {
      assert.equal(parseRetryAfter({ 'retry-after': '-4' }), 0);
    });

    it('prefers retry-after-ms', () => {
      assert.equal(parseRetryAfter({ 'retry-after-ms': '750', 'retry-after': '10' }), 750);
      assert.equal(parseRetryAfter({ 'retry-after-ms': '12.5' }), 12.5);
    });

    it('falls back to retry-after when retry-after-ms is invalid', () => {
      assert.equal(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '2' }), 2000);
      assert.equal(parseRetryAfter({ 'retry-after-ms': '-5', 'retry-after': '2' }), 2000);
    });

    it('uses the first value of a repeated header', () => {
      assert.equal(parseRetryAfter({ 'retry-after': ['4', '9'] }), 4000);
    });

    it('reads an HTTP date relative to now', () => {
      const future = new Date(Date.now() + 30_000).toUTCString();
      const ms = parseRetryAfter({ 'retry-after': future });
      assert.ok(ms !== null && ms > 20_000 && ms <= 30_000, `got ${ms}`);
    });

    it('clamps a past HTTP date to 0', () => {
      assert.equal(parseRetryAfter({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), 0);
    });

    it('returns null when missing or unparseable', () => {
      assert.equal(parseRetryAfter({}), null);
      assert.equal(parseRetryAfter({ 'retry-after': undefined }), null);
      assert.equal(parseRetryAfter({ 'retry-after': '' }), null);
      assert.equal(parseRetryAfter({ 'retry-after': 'later please' }), null);
    });
  });

  describe('scrub', () => {
    it('removes http, https and ws URLs', () => {
      assert.equal(scrub('POST https://api.openai.com/v1/chat/completions failed'), 'POST [upstream] failed');
      assert.equal(scrub('see http://internal.corp/path?x=1'), 'see [upstream]');
      assert.equal(scrub('socket ws://relay.local:9000/stream closed'), 'socket [upstream] closed');
      assert.equal(scrub('wss://a.b/c'), '[upstream]');
    });

    it('removes IPv4 addresses with or without a port', () => {
      assert.equal(scrub('connect ECONNREFUSED 10.0.0.12:8443'), 'connect ECONNREFUSED [upstream]');
      assert.equal(scrub('no route to 192.168.1.1'), 'no route to [upstream]');
    });

    it('removes dotted host:port pairs', () => {
      assert.equal(scrub('getaddrinfo ENOTFOUND api.internal.corp:443'), 'getaddrinfo ENOTFOUND [upstream]');
      assert.equal(scrub('upstream my-proxy.example.net:3128 refused'), 'upstream [upstream] refused');
    });

    it('removes key-like tokens', () => {
      assert.equal(
        scrub('Incorrect API key provided: sk-proj-AbCdEf123456_xyz. Find your key.'),
        'Incorrect API key provided: [secret]. Find your key.',
      );
      assert.equal(scrub('key_0123456789abcdef is revoked'), '[secret] is revoked');
      assert.equal(scrub('using pk-live-ABCDEFGH12'), 'using [secret]');
    });

    it('removes a URL carrying a key in its query', () => {
      const out = scrub('GET https://host.example/v1?key=sk-abcdefghijklmnop failed');
      assert.doesNotMatch(out, /host\.example|sk-abcdefghijklmnop/);
    });

    it('keeps ordinary text: model names, times, versions', () => {
      const text = 'model gpt-4.1 is overloaded at 12:30, retry in 2.5s (HTTP 503: busy)';
      assert.equal(scrub(text), text);
      assert.equal(scrub('skip this'), 'skip this');
      assert.equal(scrub('sk-short'), 'sk-short');
    });

    it('truncates to 1000 characters', () => {
      assert.equal(scrub('x'.repeat(5000)).length, 1000);
    });
  });

  describe('UpstreamError', () => {
    it('carries kind, status and retryAfterMs', () => {
      const error = new UpstreamError('rate_limit', 'slow down', 429, 1500);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'UpstreamError');
      assert.equal(error.kind, 'rate_limit');
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 1500);
      assert.equal(error.message, 'slow down');
    });

    it('defaults status and retryAfterMs to null', () => {
      const error = new UpstreamError('network', 'reset');
      assert.equal(error.status, null);
      assert.equal(error.retryAfterMs, null);
    });

    it('scrubs its message', () => {
      const error = new UpstreamError(
        'network',
        'connect https://api.secret-upstream.com/v1 (10.2.3.4:443) with sk-abcdefghijklmnop failed',
      );
      assert.doesNotMatch(error.message, /secret-upstream|10\.2\.3\.4|sk-abcdefghijklmnop/);
      assert.match(error.message, /\[upstream\]/);
      assert.match(error.message, /\[secret\]/);
    });
  });

  describe('CancelledError', () => {
    it('is a named Error distinct from UpstreamError', () => {
      const error = new CancelledError();
      assert.ok(error instanceof Error);
      assert.ok(!(error instanceof UpstreamError));
      assert.equal(error.name, 'CancelledError');
      assert.equal(error.message, 'cancelled');
    });
  });
});
