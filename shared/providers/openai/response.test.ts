// Unit tests for mapping a non-streamed chat.completion into one normalized chunk.
import assert from 'node:assert/strict';
import type { ChatCompletion } from '../../wire/chat.js';
import { UpstreamError } from '../upstream-error.js';
import { completionToChunk } from './response.js';

function completion(overrides: Partial<ChatCompletion> = {}): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1732600000,
    model: 'gpt-4o',
    system_fingerprint: 'fp_abc',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi there', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    ...overrides,
  };
}

describe('providers/openai/response', () => {
  describe('completionToChunk', () => {
    it('maps content, finish reason, usage and fingerprint', () => {
      const chunk = completionToChunk(completion());
      assert.deepEqual(chunk, {
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', content: 'Hi there' },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        fingerprint: 'fp_abc',
      });
    });

    it('gives tool calls an index and keeps content null', () => {
      const chunk = completionToChunk(
        completion({
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                refusal: null,
                tool_calls: [
                  { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
                  { id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } },
                ],
              },
              logprobs: null,
              finish_reason: 'tool_calls',
            },
          ],
        }),
      );
      const delta = chunk.choices[0].delta;
      assert.equal(delta.content, null);
      assert.deepEqual(delta.tool_calls, [
        { index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
        { index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } },
      ]);
      assert.equal(chunk.choices[0].finish_reason, 'tool_calls');
    });

    it('keeps reasoning_content, refusal and unknown message keys', () => {
      const chunk = completionToChunk(
        completion({
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: 'answer',
                reasoning_content: 'thinking',
                refusal: 'no',
                audio: { id: 'a1' },
              } as never,
              logprobs: { content: [] },
              finish_reason: 'stop',
            },
          ],
        }),
      );
      const choice = chunk.choices[0];
      assert.deepEqual(choice.delta, {
        role: 'assistant',
        audio: { id: 'a1' },
        content: 'answer',
        reasoning_content: 'thinking',
        refusal: 'no',
      });
      assert.deepEqual(choice.logprobs, { content: [] });
    });

    it('maps several choices and defaults a missing role', () => {
      const chunk = completionToChunk(
        completion({
          choices: [
            { index: 0, message: { content: 'A' } as never, logprobs: null, finish_reason: 'stop' },
            {
              index: 1,
              message: { role: 'assistant', content: 'B', refusal: null },
              logprobs: null,
              finish_reason: 'length',
            },
          ],
        }),
      );
      assert.deepEqual(
        chunk.choices.map((c) => [c.index, c.delta.role, c.delta.content, c.finish_reason]),
        [
          [0, 'assistant', 'A', 'stop'],
          [1, 'assistant', 'B', 'length'],
        ],
      );
    });

    it('returns null usage and fingerprint when absent', () => {
      const chunk = completionToChunk(completion({ usage: undefined, system_fingerprint: undefined }));
      assert.equal(chunk.usage, null);
      assert.equal(chunk.fingerprint, null);
    });

    it('throws a network UpstreamError for a malformed completion', () => {
      for (const bad of [{}, { choices: 'x' }, null]) {
        assert.throws(
          () => completionToChunk(bad as never),
          (error: unknown) => error instanceof UpstreamError && error.kind === 'network',
        );
      }
    });
  });
});
