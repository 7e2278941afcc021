// Mock provider recorder: keeps the requests the mock saw (bounded, oldest dropped first) and lets tests
// wait until a request matching a predicate is recorded or updated (e.g. marked aborted on client close).
import type { IncomingHttpHeaders } from 'node:http';
import type { MockControls } from './controls.js';

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Full request path including any `/mock/...` prefix, without the query string. */
  path: string;
  /** Lowercased header names, as node parsed them. */
  headers: IncomingHttpHeaders;
  /** The raw key of `Authorization: Bearer <key>`, or null when absent. */
  authorization: string | null;
  /** Parsed JSON body, or null when there was none or it was invalid. */
  body: unknown;
  /** Merged controls (chat completions only; null on other routes). */
  controls: MockControls | null;
  /** The injected failure applied to this request (`fail=500`, `reset=mid`, ...), or null. */
  failure: string | null;
  receivedAt: number;
  /** The client closed the connection before the response finished. */
  aborted: boolean;
  /** The response was fully written. */
  completed: boolean;
  /** HTTP status, once headers were sent. */
  status?: number;
  closedAt?: number;
}

type Listener = (record: RecordedRequest) => void;

export class RequestRecorder {
  /** Live array: the same instance is kept across `reset()`. */
  readonly requests: RecordedRequest[] = [];
  private readonly listeners = new Set<Listener>();
  private nextSeq = 1;

  /** `maxRecorded`: Infinity for unlimited, 0 to record nothing (sequence numbers still advance). */
  constructor(private readonly maxRecorded: number) {}

  takeSeq(): number {
    return this.nextSeq++;
  }

  add(record: RecordedRequest): void {
    if (this.maxRecorded <= 0) return;
    this.requests.push(record);
    if (this.requests.length > this.maxRecorded) this.requests.shift();
    this.notify(record);
  }

  /** Call after mutating a record so pending `waitFor` predicates are re-checked. */
  notify(record: RecordedRequest): void {
    if (this.listeners.size === 0) return;
    for (const listener of [...this.listeners]) listener(record);
  }

  reset(): void {
    this.requests.length = 0;
  }

  waitFor(predicate: (record: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    const existing = this.requests.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const listener: Listener = (record) => {
        if (!predicate(record)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(record);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`mock provider: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }
}
