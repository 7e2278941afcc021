// A web-chat client for tests (the `ws` package): connects, sends the handshake, collects
// Chat Nio frames and waits for the end of a turn.
import { WebSocket } from 'ws';
import type { ChatFrame } from '../../api/relay/web-chat-frames.js';
import { freshClientIp } from './client-ip.js';

export type Frame = ChatFrame;

export class ChatClient {
  readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closed: Promise<{ code: number }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  static async connect(
    base: string,
    handshake: Record<string, unknown>,
    path = '/chat',
  ): Promise<ChatClient> {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, {
      headers: { 'x-forwarded-for': freshClientIp() },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const client = new ChatClient(ws);
    ws.send(JSON.stringify(handshake));
    return client;
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Waits until a frame matches (returns the frames seen from `from` on). */
  async until(predicate: (frame: Frame) => boolean, from = 0, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.frames.slice(from);
      if (seen.some(predicate)) return seen;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(seen)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** One turn: sends the frame and returns its frames up to the end frame. */
  async turn(frame: Record<string, unknown>): Promise<Frame[]> {
    const from = this.frames.length;
    this.send(frame);
    const seen = await this.until((f) => f.end, from);
    return seen.slice(0, seen.findIndex((f) => f.end) + 1);
  }
}
