// Unit tests for local token counting used when an upstream reports no usage.
import assert from 'node:assert/strict';
import type { ChatRequestBody } from '../wire/chat.js';
import { countedUsage, countPromptTokens, countTokens } from './tokens.js';

const body = (
  messages: ChatRequestBody['messages'],
  extra: Partial<ChatRequestBody> = {},
): ChatRequestBody => ({
  model: 'gpt-4o',
  messages,
  ...extra,
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('billing/tokens', () => {
  describe('countTokens', () => {
    it('is 0 for empty text', () => {
      assert.equal(countTokens('gpt-4o', ''), 0);
      assert.equal(countTokens('gpt-3.5-turbo', ''), 0);
    });

    it('counts a known string with both encodings', () => {
      assert.equal(countTokens('gpt-4o', 'Hello world'), 2);
      assert.equal(countTokens('gpt-3.5-turbo', 'Hello world'), 2);
      assert.equal(countTokens('claude-3-opus', 'hello'), 1);
    });

    it('is non-zero for text, including CJK and emoji', () => {
      for (const model of ['gpt-4o', 'o3-mini', 'gpt-5', 'deepseek-chat']) {
        assert.ok(countTokens(model, 'The quick brown fox') > 0, model);
        assert.ok(countTokens(model, '你好，世界') > 0, model);
        assert.ok(countTokens(model, '👋🏽') > 0, model);
      }
    });

    it('grows with longer text', () => {
      const short = countTokens('gpt-4o', 'one two three');
      const long = countTokens('gpt-4o', 'one two three '.repeat(20));
      assert.ok(long > short * 10);
    });
  });

  describe('countPromptTokens', () => {
    it('charges 3 to prime plus 3 per message plus content', () => {
      const text = 'Hello world';
      const expected = 3 + 3 + countTokens('gpt-4o', text);
      assert.equal(countPromptTokens('gpt-4o', body([{ role: 'user', content: text }])), expected);
    });

    it('grows with each message', () => {
      const one = countPromptTokens('gpt-4o', body([{ role: 'user', content: 'hi' }]));
      const two = countPromptTokens(
        'gpt-4o',
        body([
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ]),
      );
      assert.ok(two > one);
      assert.equal(two - one, 3 + countTokens('gpt-4o', 'Be brief.'));
    });

    it('counts text parts of array content and ignores other parts', () => {
      const parts = countPromptTokens(
        'gpt-4o',
        body([
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Describe this' },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            ],
          },
        ]),
      );
      assert.equal(parts, 6 + countTokens('gpt-4o', 'Describe this'));
    });

    it('counts names, assistant tool calls and null content', () => {
      const base = countPromptTokens('gpt-4o', body([{ role: 'user', content: null }]));
      assert.equal(base, 6);
      const named = countPromptTokens('gpt-4o', body([{ role: 'user', content: null, name: 'alice' }]));
      assert.equal(named, 6 + 1 + countTokens('gpt-4o', 'alice'));
      const toolCalls = [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }];
      const withCalls = countPromptTokens(
        'gpt-4o',
        body([{ role: 'assistant', content: null, tool_calls: toolCalls }]),
      );
      assert.equal(withCalls, 6 + countTokens('gpt-4o', JSON.stringify(toolCalls)));
    });

    it('grows with tools', () => {
      const messages = body([{ role: 'user', content: 'Weather in Paris?' }]);
      const without = countPromptTokens('gpt-4o', messages);
      const withTools = countPromptTokens('gpt-4o', { ...messages, tools: [weatherTool] });
      const withMore = countPromptTokens('gpt-4o', {
        ...messages,
        tools: [weatherTool, { ...weatherTool, function: { ...weatherTool.function, name: 'get_time' } }],
      });
      assert.ok(withTools > without);
      assert.ok(withMore > withTools);
    });
  });

  describe('countedUsage', () => {
    it('totals prompt and completion tokens', () => {
      const request = body([{ role: 'user', content: 'Say hello' }], { tools: [weatherTool] });
      const usage = countedUsage('gpt-4o', request, 'Hello! How can I help you today?');
      assert.equal(usage.prompt_tokens, countPromptTokens('gpt-4o', request));
      assert.equal(usage.completion_tokens, countTokens('gpt-4o', 'Hello! How can I help you today?'));
      assert.ok(usage.completion_tokens > 0);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    });

    it('counts zero completion tokens for no output', () => {
      const usage = countedUsage('gpt-3.5-turbo', body([{ role: 'user', content: 'x' }]), '');
      assert.equal(usage.completion_tokens, 0);
      assert.equal(usage.total_tokens, usage.prompt_tokens);
    });
  });
});
