// Unit tests for RelayOutput: held role chunks, attempt resets, usage and end events, non-stream mode.
import assert from 'node:assert/strict';
import type { UpstreamChunk } from '../../shared/providers/types.js';
import type { RelayEvent } from '../../shared/stream-relay.js';
import type { ChoiceDelta, Usage } from '../../shared/wire/chat.js';
import { RelayOutput } from './relay-output.js';

const chunk = (
  delta: ChoiceDelta,
  finish_reason: string | null = null,
  extra: Partial<UpstreamChunk> = {},
) => ({
  choices: [{ index: 0, delta, finish_reason }],
  ...extra,
});
const roleChunk = (fingerprint = 'fp_1') => chunk({ role: 'assistant', content: '' }, null, { fingerprint });
const usage = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

function setup(stream: boolean) {
  const events: RelayEvent[] = [];
  const output = new RelayOutput((event) => events.push(event), stream);
  const counted: string[] = [];
  const countUsage = (text: string) => {
    counted.push(text);
    return usage(10, text.length);
  };
  /** Ends the request as the job does: the upstream's usage, else counted from the produced text. */
  const finish = () => events.push(output.finish(output.usage ?? countUsage(output.producedText())));
  return { events, output, counted, finish };
}

const deltaContents = (events: RelayEvent[]) =>
  events.flatMap((event) => (event.t === 'delta' ? event.choices.map((c) => c.delta.content ?? null) : []));

describe('relay/RelayOutput', () => {
  describe('stream mode', () => {
    it('holds role-only chunks until the first meaningful delta, then flushes them in order', () => {
      const { events, output } = setup(true);
      output.chunk(roleChunk());
      output.chunk(chunk({ content: '' }));
      assert.equal(events.length, 0);
      assert.equal(output.emitted, false);
      output.chunk(chunk({ content: 'Hi' }));
      assert.equal(output.emitted, true);
      assert.deepEqual(
        events.map((event) => event.t),
        ['delta', 'delta', 'delta'],
      );
      assert.deepEqual(deltaContents(events), ['', '', 'Hi']);
      assert.deepEqual(events[0], { t: 'delta', choices: roleChunk().choices, fingerprint: 'fp_1' });
      output.chunk(chunk({ content: ' there' }));
      assert.deepEqual(deltaContents(events), ['', '', 'Hi', ' there']);
    });

    it('treats reasoning, refusal, tool calls and finish_reason as meaningful', () => {
      const meaningful = [
        chunk({ reasoning_content: 'hmm' }),
        chunk({ refusal: 'no' }),
        chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '' } }] }),
        chunk({}, 'stop'),
      ];
      for (const first of meaningful) {
        const { events, output } = setup(true);
        output.chunk(first);
        assert.equal(output.emitted, true);
        assert.equal(events.length, 1);
      }
    });

    it('sets firstTokenAt on the first meaningful delta', () => {
      const { output } = setup(true);
      output.chunk(roleChunk());
      assert.equal(output.firstTokenAt, null);
      output.chunk(chunk({ content: 'x' }));
      assert.equal(typeof output.firstTokenAt, 'number');
    });

    it('records usage and fingerprint from a choices-less chunk without sending it', () => {
      const { events, output } = setup(true);
      output.chunk(chunk({ content: 'x' }));
      output.chunk({ choices: [], usage: usage(3, 4), fingerprint: 'fp_9' });
      assert.equal(events.length, 1);
      assert.deepEqual(output.usage, usage(3, 4));
      assert.equal(output.fingerprint, 'fp_9');
    });

    it('resetAttempt discards unsent held chunks and usage before output', () => {
      const { events, output, finish, counted } = setup(true);
      output.chunk(roleChunk('fp_failed'));
      output.chunk({ choices: [], usage: usage(99, 99) });
      output.resetAttempt();
      assert.equal(output.usage, null);
      assert.equal(output.fingerprint, null);
      output.chunk(chunk({ role: 'assistant', content: 'B' }, null, { fingerprint: 'fp_ok' }));
      output.chunk(chunk({}, 'stop'));
      finish();
      assert.deepEqual(deltaContents(events), ['B', null]);
      assert.deepEqual(events.at(-2), { t: 'usage', usage: usage(10, 1) });
      assert.deepEqual(counted, ['B']);
    });

    it('resetAttempt does nothing once output was emitted', () => {
      const { events, output, finish } = setup(true);
      output.chunk(chunk({ content: 'A' }));
      output.chunk({ choices: [], usage: usage(5, 6) });
      output.resetAttempt();
      assert.equal(output.emitted, true);
      assert.deepEqual(output.usage, usage(5, 6));
      finish();
      assert.deepEqual(events.at(-2), { t: 'usage', usage: usage(5, 6) });
    });

    it("finish sends the upstream's usage then end with the finish reason", () => {
      const { events, output, finish, counted } = setup(true);
      output.chunk(chunk({ content: 'done' }));
      output.chunk(chunk({}, 'stop', { usage: usage(7, 1) }));
      finish();
      assert.deepEqual(events.slice(-2), [
        { t: 'usage', usage: usage(7, 1) },
        { t: 'end', reason: 'stop' },
      ]);
      assert.deepEqual(counted, []);
    });

    it('finish counts usage from the produced text when the upstream gave none', () => {
      const { events, output, finish, counted } = setup(true);
      output.chunk(chunk({ reasoning_content: 'r' }));
      output.chunk(chunk({ content: 'abc' }));
      output.chunk(chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'fn', arguments: '{}' } }] }));
      finish();
      assert.deepEqual(counted, ['rabcfn{}']);
      assert.deepEqual(events.at(-2), { t: 'usage', usage: usage(10, 8) });
    });

    const reasons: [string | null, string][] = [
      ['stop', 'stop'],
      ['length', 'length'],
      ['tool_calls', 'tool_calls'],
      ['content_filter', 'content_filter'],
      ['function_call', 'stop'],
      [null, 'stop'],
    ];
    for (const [upstream, mapped] of reasons) {
      it(`maps finish_reason ${upstream} to end reason ${mapped}`, () => {
        const { events, output, finish } = setup(true);
        output.chunk(chunk({ content: 'x' }, upstream));
        finish();
        assert.deepEqual(events.at(-1), { t: 'end', reason: mapped });
      });
    }

    it('finish flushes held chunks when no meaningful output ever came', () => {
      const { events, output, finish } = setup(true);
      output.chunk(roleChunk());
      finish();
      assert.deepEqual(
        events.map((event) => event.t),
        ['delta', 'usage', 'end'],
      );
      assert.deepEqual(events[1], { t: 'usage', usage: usage(10, 0) });
    });

    it('updates lastSentAt when sending', () => {
      const { output } = setup(true);
      output.lastSentAt = 0;
      output.chunk(chunk({ content: 'x' }));
      assert.ok(output.lastSentAt > 0);
    });
  });

  describe('non-stream mode', () => {
    it('sends nothing until finish, then one completion with merged choices and usage', () => {
      const { events, output, finish } = setup(false);
      output.chunk(roleChunk('fp_ns'));
      output.chunk(chunk({ content: 'Hel' }));
      output.chunk(chunk({ content: 'lo' }, 'stop'));
      output.chunk({ choices: [], usage: usage(4, 2) });
      assert.equal(events.length, 0);
      assert.equal(output.emitted, false);
      finish();
      assert.deepEqual(events, [
        {
          t: 'completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'Hello', refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: usage(4, 2),
          fingerprint: 'fp_ns',
        },
      ]);
    });

    it('merges n=2 choices and tool calls and counts usage when missing', () => {
      const { events, output, finish, counted } = setup(false);
      output.chunk({
        choices: [
          { index: 0, delta: { content: 'A' }, finish_reason: 'stop' },
          {
            index: 1,
            delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
      });
      finish();
      assert.equal(events.length, 1);
      const event = events[0];
      assert.equal(event.t, 'completion');
      if (event.t !== 'completion') return;
      assert.equal(event.choices.length, 2);
      assert.equal(event.choices[0].message.content, 'A');
      assert.equal(event.choices[1].message.content, null);
      assert.equal(event.choices[1].message.tool_calls?.[0].function.name, 'f');
      assert.deepEqual(counted, ['Af{}']);
      assert.equal(event.fingerprint, null);
    });

    it('resetAttempt forgets a failed attempt entirely', () => {
      const { events, output, finish } = setup(false);
      output.chunk(chunk({ content: 'failed attempt text' }, null, { usage: usage(1, 1) }));
      output.resetAttempt();
      output.chunk(chunk({ content: 'ok' }, 'stop'));
      finish();
      const event = events[0];
      assert.ok(event.t === 'completion');
      assert.equal(event.choices[0].message.content, 'ok');
      assert.deepEqual(event.usage, usage(10, 2));
    });
  });
});
