// Unit tests for SSE stream parsing, fed from recorded fixtures cut at seeded random byte
// boundaries (including inside multi-byte UTF-8 characters).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { seededRandom } from '../../channels/select.js';
import { ChoiceMerger } from '../../wire/merge.js';
import type { UpstreamChunk } from '../types.js';
import { UpstreamError } from '../upstream-error.js';
import { readEventStream } from '../executor.js';
import { openAIChat } from './definition.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** Cuts bytes into pieces of 1..maxPiece bytes at seeded random positions. */
function split(bytes: Uint8Array, seed: number, maxPiece = 24): Uint8Array[] {
  const random = seededRandom(seed);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxPiece);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

async function* iterate(pieces: Uint8Array[], pulled?: { count: number }): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    if (pulled) pulled.count++;
    yield piece;
  }
}

interface Parsed {
  chunks: UpstreamChunk[];
  /** The stream ended as a complete answer. */
  complete?: boolean;
  error?: unknown;
}

const chat = openAIChat();
const parseChatStream = (body: AsyncIterable<Uint8Array>, onChunk: (chunk: UpstreamChunk) => void) =>
  readEventStream(body, chat, onChunk);

async function parse(pieces: Uint8Array[]): Promise<Parsed> {
  const chunks: UpstreamChunk[] = [];
  try {
    await parseChatStream(iterate(pieces), (chunk) => chunks.push(chunk));
    return { chunks, complete: true };
  } catch (error) {
    return { chunks, error };
  }
}

const content = (chunks: UpstreamChunk[]) =>
  chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('');

function assertUpstream(error: unknown, kind: string, message?: RegExp): void {
  assert.ok(error instanceof UpstreamError, `expected UpstreamError, got ${String(error)}`);
  assert.equal(error.kind, kind);
  if (message) assert.match(error.message, message);
}

describe('providers/openai/stream', () => {
  describe('plain text stream', () => {
    const bytes = fixture('text.sse');

    it('yields every frame as a normalized chunk and ends on [DONE]', async () => {
      const { chunks, complete, error } = await parse([bytes]);
      assert.equal(error, undefined);
      assert.equal(complete, true);
      assert.equal(chunks.length, 7);
      assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
      assert.equal(content(chunks), 'Hello, 世界! 👋🏽 你好吗？');
      assert.equal(chunks[5].choices[0].finish_reason, 'stop');
      assert.deepEqual(chunks[6].choices, []);
      assert.equal(chunks[6].usage?.total_tokens, 21);
      assert.equal(chunks[0].usage, null);
      assert.ok(chunks.every((chunk) => chunk.fingerprint === 'fp_0ba0d124f1'));
    });

    it('parses identically when cut at random byte boundaries (many seeds)', async () => {
      const whole = await parse([bytes]);
      let cutInsideCharacter = false;
      for (let seed = 1; seed <= 60; seed++) {
        const pieces = split(bytes, seed);
        if (pieces.some((piece, i) => i > 0 && piece.length > 0 && (piece[0] & 0xc0) === 0x80)) {
          cutInsideCharacter = true;
        }
        const parsed = await parse(pieces);
        assert.equal(parsed.error, undefined, `seed ${seed}`);
        assert.deepEqual(parsed.chunks, whole.chunks, `seed ${seed}`);
      }
      assert.ok(cutInsideCharacter, 'no split landed inside a multi-byte character');
    });

    it('parses identically when fed one byte at a time', async () => {
      const pieces = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
      assert.deepEqual((await parse(pieces)).chunks, (await parse([bytes])).chunks);
    });

    it('accepts CRLF line endings', async () => {
      const crlf = fixture('text-crlf.sse');
      assert.ok(crlf.includes('\r\n'), 'fixture lost its CRLF line endings');
      const expected = (await parse([bytes])).chunks;
      const whole = await parse([crlf]);
      assert.equal(whole.complete, true);
      assert.deepEqual(whole.chunks, expected);
      for (let seed = 100; seed < 130; seed++) {
        assert.deepEqual((await parse(split(crlf, seed, 7))).chunks, expected, `seed ${seed}`);
      }
    });

    it('returns at [DONE], ignores later frames and drains the rest so the socket is reused', async () => {
      const tail = Buffer.from(
        'data: {"choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}\n\n',
      );
      const pulled = { count: 0 };
      const chunks: UpstreamChunk[] = [];
      const pieces = [bytes, tail, tail];
      await parseChatStream(iterate(pieces, pulled), (chunk) => chunks.push(chunk));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(pulled.count, 3, 'the rest of the body is read, not abandoned');
      assert.doesNotMatch(content(chunks), /late/);
      const sameBuffer = await parse([Buffer.concat([bytes, tail])]);
      assert.doesNotMatch(content(sameBuffer.chunks), /late/);
    });
  });

  describe('tool-call stream', () => {
    it('delivers two parallel tool calls whose arguments merge into JSON', async () => {
      const bytes = fixture('tool-calls.sse');
      for (const pieces of [[bytes], split(bytes, 7), split(bytes, 8, 3)]) {
        const { chunks, complete, error } = await parse(pieces);
        assert.equal(error, undefined);
        assert.equal(complete, true);
        const merger = new ChoiceMerger();
        for (const chunk of chunks) merger.add(chunk.choices);
        const [choice] = merger.result();
        assert.equal(choice.finish_reason, 'tool_calls');
        assert.equal(choice.message.content, null);
        const calls = choice.message.tool_calls ?? [];
        assert.deepEqual(
          calls.map((call) => [call.id, call.function.name, JSON.parse(call.function.arguments)]),
          [
            ['call_weather_paris', 'get_weather', { city: 'Paris' }],
            ['call_weather_tokyo', 'get_weather', { city: '東京' }],
          ],
        );
        assert.equal(chunks.at(-1)?.usage?.total_tokens, 120);
      }
    });
  });

  describe('reasoning stream', () => {
    it('passes reasoning_content through and ignores comment lines', async () => {
      const bytes = fixture('reasoning.sse');
      for (const pieces of [[bytes], split(bytes, 21, 5)]) {
        const { chunks, complete, error } = await parse(pieces);
        assert.equal(error, undefined);
        assert.equal(complete, true);
        assert.equal(chunks.length, 5);
        const reasoning = chunks.map((chunk) => chunk.choices[0].delta.reasoning_content ?? '').join('');
        assert.equal(reasoning, 'Let me think about 9.11 vs 9.9…');
        assert.equal(content(chunks), '9.9 is larger.');
        assert.deepEqual(chunks[4].usage, {
          prompt_tokens: 15,
          completion_tokens: 30,
          total_tokens: 45,
          completion_tokens_details: { reasoning_tokens: 22 },
        });
      }
    });
  });

  describe('failures', () => {
    it('throws network when one frame grows past 8 MB without ending', async () => {
      const piece = new TextEncoder().encode(`data: {"x":"${'a'.repeat(1024 * 1024)}`);
      const { error } = await parse(Array.from({ length: 9 }, () => piece));
      assertUpstream(error, 'network', /oversized stream frame/);
    });

    it('throws the error frame as a server UpstreamError, scrubbed, after earlier chunks', async () => {
      const bytes = fixture('error-frame.sse');
      for (const pieces of [[bytes], split(bytes, 3, 11)]) {
        const { chunks, error } = await parse(pieces);
        assertUpstream(error, 'server', /^The server had an error while processing your request/);
        assert.doesNotMatch((error as Error).message, /10\.0\.0\.5/);
        assert.equal(content(chunks), 'Partial');
      }
    });

    it('throws network when the stream ends without [DONE] and without finish_reason', async () => {
      const bytes = fixture('truncated.sse');
      for (const pieces of [[bytes], split(bytes, 4)]) {
        const { chunks, error } = await parse(pieces);
        assertUpstream(error, 'network', /ended unexpectedly/);
        assert.equal(content(chunks), 'The answer is forty');
      }
    });

    it('accepts a stream that ends without [DONE] after a finish_reason', async () => {
      const bytes = fixture('finish-no-done.sse');
      const { chunks, complete, error } = await parse(split(bytes, 9));
      assert.equal(error, undefined);
      assert.equal(complete, true);
      assert.equal(chunks.at(-1)?.choices[0].finish_reason, 'length');
      assert.equal(chunks.at(-1)?.usage?.total_tokens, 11);
    });

    it('throws network on a frame that is not JSON and stops delivering chunks', async () => {
      const bytes = fixture('garbage.sse');
      for (const pieces of [[bytes], split(bytes, 5, 9)]) {
        const { chunks, error } = await parse(pieces);
        assertUpstream(error, 'network', /malformed/);
        assert.equal(content(chunks), 'Half');
        assert.ok(chunks.every((chunk) => chunk.choices.every((choice) => !choice.finish_reason)));
      }
    });

    it('throws network on an empty body', async () => {
      const { chunks, error } = await parse([]);
      assertUpstream(error, 'network');
      assert.deepEqual(chunks, []);
    });

    it('throws network when the body has only comments', async () => {
      const { error } = await parse([Buffer.from(': ping\n\n: ping\n\n')]);
      assertUpstream(error, 'network');
    });
  });
});
