// Relay error paths: every failure answers with the right HTTP status and an OpenAI-shaped
// body (also for stream:true before the first byte), and never shows an upstream host or key.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createChannel, type Harness, harness, postJson, uniqueModel } from './support/harness.js';

interface RawResult {
  status: number;
  body: string;
  json: { error?: { message: string; type: string; param: string | null; code: string | null } };
  headers: Headers;
}

async function rawChat(h: Harness, body: unknown, headers: Record<string, string> = {}): Promise<RawResult> {
  const response = await fetch(`${h.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.rootKey}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json = {};
  try {
    json = JSON.parse(text);
  } catch {
    // SSE bodies are not JSON
  }
  return { status: response.status, body: text, json, headers: response.headers };
}

function assertOpenAIError(result: RawResult, status: number, code: string | null) {
  assert.equal(result.status, status, result.body);
  assert.ok(result.json.error, `OpenAI error body expected: ${result.body}`);
  assert.deepEqual(Object.keys(result.json.error).sort(), ['code', 'message', 'param', 'type']);
  if (code !== null) assert.equal(result.json.error.code, code);
}

describe('relay: errors', function () {
  this.timeout(20_000);
  let h: Harness;
  let mockHost: string;

  before(async () => {
    h = await harness();
    mockHost = new URL(h.mock.url).host;
  });

  const message = (text = 'hi') => [{ role: 'user', content: text }];
  const leaksNothing = (result: RawResult) => {
    assert.ok(!result.body.includes(mockHost), `no upstream host in ${result.body}`);
    assert.ok(!result.body.includes('127.0.0.1'), `no upstream address in ${result.body}`);
    assert.ok(!/sk-upstream|sk-bad/.test(result.body), `no upstream secret in ${result.body}`);
  };

  it('404 model_not_found for a model no channel serves', async () => {
    const result = await rawChat(h, { model: 'no-such-model-xyz', messages: message() });
    assertOpenAIError(result, 404, 'model_not_found');
    assert.equal(result.json.error?.param, 'model');
  });

  it('403 for a model the caller group may not use, 503 when its channels are disabled', async () => {
    const restricted = uniqueModel('restricted');
    await createChannel(h, { models: [restricted], group: ['pro'] });
    assertOpenAIError(await rawChat(h, { model: restricted, messages: message() }), 403, 'model_not_allowed');
    const disabled = uniqueModel('disabled');
    await createChannel(h, { models: [disabled], state: false });
    assertOpenAIError(
      await rawChat(h, { model: disabled, messages: message(), stream: true }),
      503,
      'no_available_channel',
    );
  });

  it('502 when every channel fails, with the status even for stream:true, and no upstream details', async () => {
    const model = uniqueModel('allfail');
    await createChannel(h, {
      models: [model],
      priority: 2,
      endpoint: `${h.mock.url}/mock/fail=503`,
      secret: 'sk-bad-1',
    });
    await createChannel(h, { models: [model], priority: 1, endpoint: `${h.mock.url}/mock/reset=before` });
    await createChannel(h, { models: [model], priority: 0, endpoint: `${h.mock.url}/mock/fail=401` });
    for (const stream of [true, false]) {
      const result = await rawChat(h, { model, messages: message(), stream });
      assertOpenAIError(result, 502, 'upstream_failed');
      leaksNothing(result);
    }
  });

  it('passes an upstream 400 (a bad request) to the client without failing over', async () => {
    const model = uniqueModel('client400');
    await createChannel(h, { models: [model], priority: 1, endpoint: `${h.mock.url}/mock/fail=400` });
    await createChannel(h, { models: [model], priority: 0 });
    const before = h.mock.requests.length;
    const result = await rawChat(h, { model, messages: message(), stream: true });
    assertOpenAIError(result, 400, 'upstream_rejected_request');
    assert.equal(result.json.error?.type, 'invalid_request_error');
    const tried = h.mock.requests
      .slice(before)
      .filter((r) => (r.body as { model?: string })?.model === model);
    assert.equal(tried.length, 1, 'no failover after a client error');
    leaksNothing(result);
  });

  it('504 when the upstream sends no first token in time', async () => {
    const model = uniqueModel('timeout');
    await createChannel(h, { models: [model], endpoint: `${h.mock.url}/mock/hang=before` });
    const result = await rawChat(h, { model, messages: message() });
    assertOpenAIError(result, 504, 'upstream_timeout');
  });

  it('429 waits for Retry-After and retries the same channel', async () => {
    const model = uniqueModel('ratelimit');
    const key = `rl-${Date.now()}`;
    await createChannel(h, {
      models: [model],
      endpoint: `${h.mock.url}/mock/fail=429&retry_after=0.2&fail_count=1&key=${key}`,
    });
    const started = Date.now();
    const result = await rawChat(h, { model, messages: message() });
    assert.equal(result.status, 200, result.body);
    assert.ok(Date.now() - started >= 200, 'waited for Retry-After');
    const seen = h.mock.requests.filter((r) => r.controls?.key === key).map((r) => r.status);
    assert.deepEqual(seen, [429, 200]);
  });

  it('a failure after output is an SSE error frame; without output non-stream fails over', async () => {
    const model = uniqueModel('midstream');
    await createChannel(h, {
      models: [model],
      priority: 1,
      endpoint: `${h.mock.url}/mock/reset=mid&reset_after=2`,
    });
    await createChannel(h, { models: [model], priority: 0 });
    const streamed = await rawChat(h, { model, messages: message(), stream: true });
    assert.equal(streamed.status, 200);
    assert.match(streamed.body, /"content":"w0 "/);
    const frames = streamed.body.trim().split('\n\n');
    const last = JSON.parse(frames[frames.length - 1].replace(/^data: /, ''));
    assert.ok(last.error, 'the stream ends with an error frame');
    assert.ok(!streamed.body.includes('[DONE]'));
    leaksNothing(streamed);
    const whole = await rawChat(h, { model, messages: message() });
    assert.equal(whole.status, 200, 'nothing reached the client yet, so the next channel answers');
  });

  it('garbage mid-stream from the upstream ends the stream with an error frame', async () => {
    const model = uniqueModel('garbage');
    await createChannel(h, { models: [model], endpoint: `${h.mock.url}/mock/garbage=mid` });
    const streamed = await rawChat(h, { model, messages: message(), stream: true });
    assert.equal(streamed.status, 200);
    assert.match(streamed.body, /"error":\{"message":/);
    leaksNothing(streamed);
  });

  it('a slow first token starts SSE keep-alives; a later failure becomes an error frame', async () => {
    const slow = uniqueModel('slow');
    await createChannel(h, { models: [slow], endpoint: `${h.mock.url}/mock/first=1000` });
    const ok = await rawChat(h, { model: slow, messages: message(), stream: true });
    assert.equal(ok.status, 200);
    assert.ok(ok.body.startsWith(': keep-alive\n\n'), ok.body.slice(0, 80));
    assert.ok(ok.body.endsWith('data: [DONE]\n\n'));
    const hung = uniqueModel('hung');
    await createChannel(h, { models: [hung], endpoint: `${h.mock.url}/mock/hang=before` });
    const failed = await rawChat(h, { model: hung, messages: message(), stream: true });
    assert.equal(failed.status, 200, 'headers were already sent as keep-alive');
    assert.match(failed.body, /"code":"upstream_timeout"/);
  });

  it('401 for a missing or wrong API key', async () => {
    const missing = await rawChat(h, { model: 'x', messages: message() }, { authorization: '' });
    assertOpenAIError(missing, 401, 'invalid_api_key');
    const wrong = await rawChat(
      h,
      { model: 'x', messages: message() },
      { authorization: `Bearer sk-${'0'.repeat(64)}` },
    );
    assertOpenAIError(wrong, 401, 'invalid_api_key');
    const client = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${h.url}/v1`, maxRetries: 0 });
    await assert.rejects(
      client.models.list(),
      (error: unknown) => error instanceof OpenAI.AuthenticationError,
    );
  });

  it('400 for junk bodies and invalid parameters, 413 for oversized bodies', async () => {
    assertOpenAIError(await rawChat(h, '{not json'), 400, null);
    assertOpenAIError(await rawChat(h, '[]'), 400, null);
    assertOpenAIError(await rawChat(h, { messages: message() }), 400, null);
    const badTemperature = await rawChat(h, { model: 'x', messages: message(), temperature: 'hot' });
    assertOpenAIError(badTemperature, 400, null);
    assert.equal(badTemperature.json.error?.param, 'temperature');
    assertOpenAIError(await rawChat(h, { model: 'x', messages: [] }), 400, null);
    assertOpenAIError(
      await rawChat(h, { model: 'x', messages: [{ role: 'wizard', content: 'x' }] }),
      400,
      null,
    );
    const huge = await rawChat(h, { model: 'x', messages: message('a'.repeat(5 * 1024 * 1024)) });
    assertOpenAIError(huge, 413, 'request_too_large');
  });

  it('web routes use the Chat Nio envelope', async () => {
    const bad = await postJson(h.url, '/login', { username: 'root', password: 'wrong-password' });
    assert.deepEqual(bad, { status: false, error: 'invalid username or password' });
  });
});
