// What a relay job sends back to the api: stream mode forwards each meaningful chunk as a
// delta (role-only chunks are held until real output, so failover stays possible until
// then); non-stream mode merges everything and sends one completion at the end.
import type { RelayEvent } from '../../shared/stream-relay.js';
import type { UpstreamChunk } from '../../shared/providers/types.js';
import type { ChunkChoice, CompletionChoice, Usage } from '../../shared/wire/chat.js';
import { ChoiceMerger } from '../../shared/wire/merge.js';

function isMeaningful(choices: ChunkChoice[]): boolean {
  for (const choice of choices) {
    if (choice.finish_reason) return true;
    const delta = choice.delta ?? {};
    if (delta.content || delta.reasoning_content || delta.refusal || delta.tool_calls?.length) return true;
  }
  return false;
}

export class RelayOutput {
  lastSentAt = Date.now();
  emitted = false;
  usage: Usage | null = null;
  finishReason: string | null = null;
  firstTokenAt: number | null = null;
  fingerprint: string | null = null;
  private held: UpstreamChunk[] = [];
  /** Stream mode: chunks from the first finish_reason on, sent at the end with the cost. */
  private tail: UpstreamChunk[] = [];
  private merger = new ChoiceMerger();

  constructor(
    private readonly publish: (event: RelayEvent) => void,
    readonly stream: boolean,
  ) {}

  send(event: RelayEvent): void {
    this.lastSentAt = Date.now();
    this.publish(event);
  }

  /** A new attempt on a channel: forget anything a failed attempt produced but never sent. */
  resetAttempt(): void {
    if (this.emitted) return;
    this.held = [];
    this.tail = [];
    this.merger = new ChoiceMerger();
    this.usage = null;
    this.fingerprint = null;
    this.finishReason = null;
  }

  chunk(chunk: UpstreamChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.fingerprint) this.fingerprint = chunk.fingerprint;
    if (chunk.choices.length === 0) return;
    const finishing = chunk.choices.some((choice) => choice.finish_reason);
    for (const choice of chunk.choices) if (choice.finish_reason) this.finishReason = choice.finish_reason;
    this.merger.add(chunk.choices);
    if (this.firstTokenAt === null && isMeaningful(chunk.choices)) this.firstTokenAt = Date.now();
    if (!this.stream) return;
    if (this.tail.length > 0 || (finishing && this.emitted)) {
      this.tail.push(chunk);
      return;
    }
    if (!this.emitted && !isMeaningful(chunk.choices)) {
      this.held.push(chunk);
      return;
    }
    if (!this.emitted) {
      this.emitted = true;
      for (const held of this.held)
        this.send({ t: 'delta', choices: held.choices, fingerprint: held.fingerprint });
      this.held = [];
    }
    this.send({ t: 'delta', choices: chunk.choices, fingerprint: chunk.fingerprint });
  }

  /** The merged answer so far (for the response cache). */
  answer(): CompletionChoice[] {
    return this.merger.result();
  }

  /** The text produced so far (content, reasoning, tool arguments). */
  producedText(): string {
    return this.merger.producedText();
  }

  /**
   * Ends a successful request: sends the held finish chunk(s) and the usage, and returns the
   * terminal event (end, or the completion in non-stream mode) for the caller to send with
   * the settlement. `quota` (the cost) rides on the last chunk, the usage chunk and the
   * completion when given.
   */
  finish(usage: Usage, quota?: number): RelayEvent {
    this.usage = usage;
    const cost = quota === undefined ? {} : { quota };
    if (!this.stream) {
      return {
        t: 'completion',
        choices: this.merger.result(),
        usage,
        fingerprint: this.fingerprint,
        ...cost,
      };
    }
    const pending = [...this.held, ...this.tail];
    this.held = [];
    this.tail = [];
    pending.forEach((chunk, index) => {
      const last = index === pending.length - 1;
      this.send({
        t: 'delta',
        choices: chunk.choices,
        fingerprint: chunk.fingerprint,
        ...(last ? cost : {}),
      });
    });
    this.send({ t: 'usage', usage, ...cost });
    const reason = this.finishReason;
    return {
      t: 'end',
      reason: reason === 'length' || reason === 'tool_calls' || reason === 'content_filter' ? reason : 'stop',
    };
  }
}
