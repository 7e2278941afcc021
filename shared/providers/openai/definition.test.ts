// Unit tests for OpenAI-compatible configs: quirks (dropped parameters, extra headers) and
// the capability functions a provider definition is made of.
import assert from 'node:assert/strict';
import { OPENAI_COMPATIBLE } from '../compatible.js';
import { providerFor, supportedChannelTypes } from '../registry.js';
import { openAICompatible } from './definition.js';

const input = {
  endpoint: 'https://api.example.com',
  secret: 'sk-test',
  body: {
    model: 'm',
    messages: [{ role: 'user', content: 'hi' }],
    logprobs: true,
    logit_bias: { 1: 2 },
    seed: 7,
  },
};

describe('providers/openai/definition', () => {
  it('registers every OpenAI-compatible type with a chat capability', () => {
    for (const config of OPENAI_COMPATIBLE) assert.ok(providerFor(config.id)?.chat, config.id);
    assert.deepEqual(
      supportedChannelTypes(),
      OPENAI_COMPATIBLE.map((config) => config.id),
    );
    assert.equal(providerFor('no-such-type'), undefined);
  });

  it('forwards every parameter for plain OpenAI, streamed with usage', () => {
    const spec = providerFor('openai')?.chat?.buildRequest(input);
    assert.ok(spec);
    const body = JSON.parse(spec.body);
    assert.equal(spec.url, 'https://api.example.com/v1/chat/completions');
    assert.equal(spec.headers.authorization, 'Bearer sk-test');
    assert.equal(body.logprobs, true);
    assert.equal(body.seed, 7);
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  it('drops the parameters an upstream refuses and keeps the rest', () => {
    const spec = providerFor('groq')?.chat?.buildRequest(input);
    assert.ok(spec);
    const body = JSON.parse(spec.body);
    assert.equal(body.logprobs, undefined);
    assert.equal(body.logit_bias, undefined);
    assert.equal(body.seed, 7);
    assert.equal(input.body.logprobs, true, 'the caller body is not changed');
  });

  it('adds a config’s headers without losing authorization', () => {
    const custom = openAICompatible({ id: 'x', headers: { 'x-extra': '1' } });
    const spec = custom.chat?.buildRequest(input);
    assert.equal(spec?.headers['x-extra'], '1');
    assert.equal(spec?.headers.authorization, 'Bearer sk-test');
  });

  it('parses a non-streamed answer and an error response', () => {
    const chat = providerFor('openai')?.chat;
    assert.ok(chat);
    const [chunk] = chat.parseResponse({
      choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
    assert.equal(chunk.choices[0].delta.content, 'hello');
    const error = chat.parseError(429, { 'retry-after': '2' }, '{"error":{"message":"slow down"}}');
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.retryAfterMs, 2000);
    assert.equal(error.retryable, true);
    assert.equal(chat.parseError(400, {}, '').retryable, false);
  });
});
