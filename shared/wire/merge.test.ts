// Unit tests for ChoiceMerger: merging streamed choice deltas into complete messages.
import assert from 'node:assert/strict';
import type { ChoiceDelta, ChunkChoice } from './chat.js';
import { ChoiceMerger } from './merge.js';

const choice = (delta: ChoiceDelta, index = 0, finish_reason: string | null = null): ChunkChoice => ({
  index,
  delta,
  finish_reason,
});

function merge(...chunks: ChunkChoice[][]): ChoiceMerger {
  const merger = new ChoiceMerger();
  for (const chunk of chunks) merger.add(chunk);
  return merger;
}

describe('wire/merge ChoiceMerger', () => {
  it('returns no choices before anything was added', () => {
    const merger = new ChoiceMerger();
    assert.deepEqual(merger.result(), []);
    assert.equal(merger.producedText(), '');
  });

  it('concatenates content and records the finish reason', () => {
    const merger = merge(
      [choice({ role: 'assistant', content: '' })],
      [choice({ content: 'Hel' })],
      [choice({ content: 'lo 👋 世界' })],
      [choice({}, 0, 'stop')],
    );
    assert.deepEqual(merger.result(), [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello 👋 世界', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ]);
  });

  it('keeps the last non-null finish reason and defaults to null', () => {
    assert.equal(merge([choice({ content: 'x' })]).result()[0].finish_reason, null);
    assert.equal(
      merge([choice({ content: 'x' }, 0, 'length')], [choice({}, 0, null)]).result()[0].finish_reason,
      'length',
    );
  });

  it('returns an empty string content for a choice with no deltas at all', () => {
    const [result] = merge([choice({ role: 'assistant' }, 0, 'stop')]).result();
    assert.equal(result.message.content, '');
  });

  it('concatenates reasoning_content, ignoring nulls', () => {
    const [result] = merge(
      [choice({ role: 'assistant', content: null, reasoning_content: 'Step 1. ' })],
      [choice({ content: null, reasoning_content: 'Step 2.' })],
      [choice({ content: 'Answer', reasoning_content: null })],
    ).result();
    assert.equal(result.message.reasoning_content, 'Step 1. Step 2.');
    assert.equal(result.message.content, 'Answer');
  });

  it('omits reasoning_content when there was none', () => {
    const [result] = merge([choice({ content: 'x' })]).result();
    assert.equal('reasoning_content' in result.message, false);
  });

  it('concatenates refusal text', () => {
    const [result] = merge(
      [choice({ role: 'assistant', refusal: "I'm sorry, " })],
      [choice({ refusal: "I can't help." })],
    ).result();
    assert.equal(result.message.refusal, "I'm sorry, I can't help.");
  });

  it('merges a tool call: id, type and name from the first delta, arguments concatenated', () => {
    const [result] = merge(
      [
        choice({
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } },
          ],
        }),
      ],
      [choice({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] })],
      [choice({ tool_calls: [{ index: 0, function: { arguments: '"cats"}' } }] })],
      [choice({}, 0, 'tool_calls')],
    ).result();
    assert.equal(result.message.content, null);
    assert.deepEqual(result.message.tool_calls, [
      { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cats"}' } },
    ]);
    assert.equal(result.finish_reason, 'tool_calls');
  });

  it('merges two interleaved parallel calls by index, sorted by index', () => {
    const [result] = merge(
      [
        choice({
          tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '' } }],
        }),
      ],
      [
        choice({
          tool_calls: [
            { index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '{"x' } },
          ],
        }),
      ],
      [choice({ tool_calls: [{ index: 1, function: { arguments: '{"y":' } }] })],
      [choice({ tool_calls: [{ index: 0, function: { arguments: '":1}' } }] })],
      [choice({ tool_calls: [{ index: 1, function: { arguments: '2}' } }] })],
    ).result();
    const calls = result.message.tool_calls ?? [];
    assert.deepEqual(
      calls.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)]),
      [
        ['call_a', 'a', { x: 1 }],
        ['call_b', 'b', { y: 2 }],
      ],
    );
  });

  it('accepts several tool calls in one delta', () => {
    const [result] = merge([
      choice({
        tool_calls: [
          { index: 0, id: 'c0', type: 'function', function: { name: 'f', arguments: '{}' } },
          { index: 1, id: 'c1', type: 'function', function: { name: 'g', arguments: '[]' } },
        ],
      }),
    ]).result();
    assert.deepEqual(
      result.message.tool_calls?.map((call) => call.id),
      ['c0', 'c1'],
    );
  });

  it('fills a missing id or name with an empty string', () => {
    const [result] = merge([choice({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] })]).result();
    assert.deepEqual(result.message.tool_calls, [
      { id: '', type: 'function', function: { name: '', arguments: '{}' } },
    ]);
  });

  it('keeps content alongside tool calls when text was produced', () => {
    const [result] = merge(
      [choice({ content: 'Let me check.' })],
      [
        choice({
          tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        }),
      ],
    ).result();
    assert.equal(result.message.content, 'Let me check.');
    assert.equal(result.message.tool_calls?.length, 1);
  });

  it('merges multiple choices (n=2) independently, sorted by index', () => {
    const merger = merge(
      [choice({ role: 'assistant', content: '' }, 1), choice({ role: 'assistant', content: '' }, 0)],
      [choice({ content: 'B1' }, 1)],
      [choice({ content: 'A1' }, 0)],
      [choice({ content: ' B2' }, 1, 'length'), choice({ content: ' A2' }, 0, 'stop')],
    );
    const results = merger.result();
    assert.deepEqual(
      results.map((r) => [r.index, r.message.content, r.finish_reason]),
      [
        [0, 'A1 A2', 'stop'],
        [1, 'B1 B2', 'length'],
      ],
    );
  });

  it('keeps unknown delta keys on the message', () => {
    const [result] = merge(
      [choice({ role: 'assistant', content: '', audio: { id: 'audio_1' } })],
      [choice({ content: 'hi', annotations: [{ type: 'url_citation' }] })],
    ).result();
    const message = result.message as unknown as Record<string, unknown>;
    assert.deepEqual(message.audio, { id: 'audio_1' });
    assert.deepEqual(message.annotations, [{ type: 'url_citation' }]);
    assert.equal(result.message.content, 'hi');
  });

  it('tolerates a choice without a delta', () => {
    const merger = new ChoiceMerger();
    merger.add([{ index: 0, finish_reason: 'stop' } as ChunkChoice]);
    assert.deepEqual(merger.result()[0].message, { role: 'assistant', content: '', refusal: null });
  });

  it('takes the role from the delta', () => {
    assert.equal(merge([choice({ role: 'tool', content: 'x' })]).result()[0].message.role, 'tool');
  });

  describe('producedText', () => {
    it('includes reasoning, content and tool names and arguments of every choice', () => {
      const merger = merge(
        [choice({ reasoning_content: 'think ' }), choice({ content: 'other' }, 1)],
        [choice({ content: 'answer' })],
        [choice({ tool_calls: [{ index: 0, id: 'c', function: { name: 'fn', arguments: '{"a":1}' } }] })],
      );
      const text = merger.producedText();
      for (const part of ['think ', 'answer', 'other', 'fn', '{"a":1}']) assert.ok(text.includes(part), part);
      assert.equal(text.length, 'think answerother'.length + 'fn{"a":1}'.length);
    });

    it('grows as deltas arrive', () => {
      const merger = new ChoiceMerger();
      merger.add([choice({ content: 'ab' })]);
      assert.equal(merger.producedText(), 'ab');
      merger.add([choice({ content: 'cd' })]);
      assert.equal(merger.producedText(), 'abcd');
    });
  });

  describe('regressions', () => {
    it('keeps the first tool name when an upstream repeats it in every delta', () => {
      const call = (args: string) =>
        choice({
          tool_calls: [{ index: 0, id: 'call_1', function: { name: 'get_weather', arguments: args } }],
        });
      const [result] = merge([call('')], [call('{"a":')], [call('1}')]).result();
      assert.equal(result.message.tool_calls?.[0].function.name, 'get_weather');
      assert.equal(result.message.tool_calls?.[0].function.arguments, '{"a":1}');
    });

    it('answers content null when an upstream sends empty content next to tool calls', () => {
      const [result] = merge(
        [choice({ role: 'assistant', content: '' })],
        [
          choice({
            content: '',
            tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{}' } }],
          }),
        ],
      ).result();
      assert.equal(result.message.content, null);
    });
  });
});
