// Unit tests for the OpenAI request mapping: URL building, forwarded body and headers.
import assert from 'node:assert/strict';
import { buildChatRequest, chatCompletionsUrl } from './request.js';

describe('providers/openai/request', () => {
  describe('chatCompletionsUrl', () => {
    const cases: [string, string][] = [
      ['https://api.openai.com', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com/', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com///', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com/v1', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com/v1/', 'https://api.openai.com/v1/chat/completions'],
      ['https://open.bigmodel.cn/api/paas/v4', 'https://open.bigmodel.cn/api/paas/v4/chat/completions'],
      ['http://127.0.0.1:8080/proxy', 'http://127.0.0.1:8080/proxy/v1/chat/completions'],
      ['http://mock:9000/proxy/', 'http://mock:9000/proxy/v1/chat/completions'],
    ];
    for (const [endpoint, url] of cases) {
      it(`maps ${endpoint}`, () => {
        assert.equal(chatCompletionsUrl(endpoint), url);
      });
    }
  });

  describe('buildChatRequest', () => {
    const clientBody = {
      model: 'gpt-4o-2024-08-06',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      ],
      temperature: 0.3,
      top_p: 0.9,
      n: 2,
      seed: 42,
      stop: ['\n\n', 'END'],
      max_tokens: 64,
      max_completion_tokens: 128,
      presence_penalty: 0.1,
      frequency_penalty: -0.2,
      logit_bias: { '50256': -100 },
      logprobs: true,
      top_logprobs: 3,
      user: 'user-1234',
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'w', schema: { type: 'object' }, strict: true },
      },
      foo_new_param: { nested: [1, 'two', null] },
      metadata: { trace: 'abc' },
    };

    it('targets the chat completions URL with a bearer header', () => {
      const spec = buildChatRequest('https://api.example.com/v1/', 'sk-line-one', clientBody);
      assert.equal(spec.url, 'https://api.example.com/v1/chat/completions');
      assert.deepEqual(spec.headers, {
        authorization: 'Bearer sk-line-one',
        'content-type': 'application/json',
        accept: 'text/event-stream',
      });
    });

    it('forwards every client parameter untouched, including unknown ones', () => {
      const sent = JSON.parse(buildChatRequest('https://x.example', 'k', clientBody).body);
      const { stream, stream_options, ...rest } = sent;
      assert.deepEqual(rest, clientBody);
      assert.equal(stream, true);
      assert.deepEqual(stream_options, { include_usage: true });
      assert.deepEqual(sent.foo_new_param, { nested: [1, 'two', null] });
    });

    it('forces stream:true even when the client asked for no stream', () => {
      const sent = JSON.parse(
        buildChatRequest('https://x.example', 'k', { ...clientBody, stream: false }).body,
      );
      assert.equal(sent.stream, true);
      assert.deepEqual(sent.stream_options, { include_usage: true });
    });

    it('forces include_usage while keeping other stream_options keys', () => {
      const body = {
        ...clientBody,
        stream: true,
        stream_options: { include_usage: false, continuous_usage_stats: true },
      };
      const sent = JSON.parse(buildChatRequest('https://x.example', 'k', body).body);
      assert.deepEqual(sent.stream_options, { include_usage: true, continuous_usage_stats: true });
    });

    it('handles null stream_options', () => {
      const sent = JSON.parse(
        buildChatRequest('https://x.example', 'k', { ...clientBody, stream_options: null }).body,
      );
      assert.deepEqual(sent.stream_options, { include_usage: true });
    });

    it('does not mutate the client body', () => {
      const body = structuredClone({ ...clientBody, stream_options: { include_usage: false } });
      const before = structuredClone(body);
      buildChatRequest('https://x.example', 'k', body);
      assert.deepEqual(body, before);
    });
  });
});
