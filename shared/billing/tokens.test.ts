// Unit tests for local token counting used when an upstream reports no usage.
import assert from 'node:assert/strict';
import type { ChatRequestBody } from '../wire/chat.js';
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import {
  countedUsage,
  countPromptTokens,
  countPromptTokensYielding,
  countTokens,
  countTokensYielding,
  promptTokenBound,
} from './tokens.js';

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
    it('totals prompt and completion tokens', async () => {
      const request = body([{ role: 'user', content: 'Say hello' }], { tools: [weatherTool] });
      const usage = await countedUsage('gpt-4o', request, 'Hello! How can I help you today?');
      assert.equal(usage.prompt_tokens, countPromptTokens('gpt-4o', request));
      assert.equal(usage.completion_tokens, countTokens('gpt-4o', 'Hello! How can I help you today?'));
      assert.ok(usage.completion_tokens > 0);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    });

    it('counts zero completion tokens for no output', async () => {
      const usage = await countedUsage('gpt-3.5-turbo', body([{ role: 'user', content: 'x' }]), '');
      assert.equal(usage.completion_tokens, 0);
      assert.equal(usage.total_tokens, usage.prompt_tokens);
    });

    it('uses a prompt count it is given instead of counting again', async () => {
      const usage = await countedUsage('gpt-4o', body([{ role: 'user', content: 'long text' }]), 'ok', 1234);
      assert.equal(usage.prompt_tokens, 1234);
    });
  });

  describe('adversarial text', () => {
    const sample = 'The quick brown fox jumps over the lazy dog. 我们今天讨论一下这个问题。 x=1+2; ';

    it('matches whole-text encoding on ordinary text, CJK included', () => {
      const text = sample.repeat(200);
      assert.equal(countTokens('gpt-3.5-turbo', text), encodeCl100k(text).length);
    });

    it('counts special-token text as plain text instead of throwing', () => {
      assert.ok(countTokens('gpt-4o', 'before <|endoftext|> after <|im_start|>') > 5);
      assert.ok(countTokens('gpt-3.5-turbo', '<|endoftext|>') > 1);
    });

    it('never counts less than whole-text encoding for pieces without spaces', () => {
      for (const text of [
        'a'.repeat(5000),
        'ab1'.repeat(3000),
        Buffer.from('x'.repeat(3000)).toString('base64'),
        '你'.repeat(4000),
        '🙂'.repeat(1000),
      ]) {
        const exact = encodeCl100k(text).length;
        const counted = countTokens('gpt-3.5-turbo', text);
        assert.ok(counted >= exact, `${text.slice(0, 10)}: ${counted} < ${exact}`);
        assert.ok(counted <= Buffer.byteLength(text), `${text.slice(0, 10)}: more tokens than bytes`);
      }
    });

    it('counts megabytes of text without spaces (linear, not quadratic)', () => {
      // js-tiktoken needed minutes for 20,000 such characters; this finishes within the test timeout.
      const text = 'q'.repeat(2_000_000);
      const counted = countTokens('gpt-4o', text);
      assert.ok(counted > 0 && counted <= text.length);
    });

    it('yields to the event loop on huge texts and counts the same as at once on ordinary text', async () => {
      const text = sample.repeat(3000);
      let ticks = 0;
      const ticker = setInterval(() => {
        ticks += 1;
      }, 0);
      const counted = await countTokensYielding('gpt-3.5-turbo', text);
      clearInterval(ticker);
      assert.ok(ticks > 0, 'the event loop ran while counting');
      const whole = countTokens('gpt-3.5-turbo', text);
      assert.ok(Math.abs(counted - whole) <= Math.ceil(text.length / 65_536) * 2, `${counted} vs ${whole}`);
      const request = body([{ role: 'user', content: 'Be brief.' }]);
      assert.equal(await countPromptTokensYielding('gpt-4o', request), countPromptTokens('gpt-4o', request));
    });
  });

  describe('promptTokenBound', () => {
    it('is the exact count while the texts fit the budget', () => {
      const request = body([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there, how are you?' },
      ]);
      assert.deepEqual(promptTokenBound('gpt-4o', request), {
        tokens: countPromptTokens('gpt-4o', request),
        exact: true,
      });
    });

    it('bounds texts past the budget by their UTF-8 bytes, never below the exact count', () => {
      const long = '中文内容 and English words '.repeat(50);
      const request = body([
        { role: 'user', content: 'short first' },
        { role: 'user', content: long },
      ]);
      const bound = promptTokenBound('gpt-4o', request, 100);
      assert.equal(bound.exact, false);
      assert.equal(
        bound.tokens,
        countPromptTokens('gpt-4o', body([{ role: 'user', content: 'short first' }])) +
          3 +
          Buffer.byteLength(long),
      );
      assert.ok(bound.tokens >= countPromptTokens('gpt-4o', request));
    });
  });
});
