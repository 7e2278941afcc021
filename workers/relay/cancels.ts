// Cancellation for relay jobs: the api publishes a request id on the cancel channel; the
// worker running it aborts its upstream call. Ids heard before the job starts are kept
// for a while so a job cancelled in the queue never calls the upstream.
import { CancelledError } from '../../shared/providers/upstream-error.js';

const REMEMBER_MS = 5 * 60_000;

export class CancelRegistry {
  private readonly running = new Map<string, AbortController>();
  private readonly cancelled = new Map<string, number>();

  start(requestId: string): AbortController | null {
    if (this.cancelled.has(requestId)) return null;
    const controller = new AbortController();
    this.running.set(requestId, controller);
    return controller;
  }

  finish(requestId: string): void {
    this.running.delete(requestId);
  }

  cancel(requestId: string, reason: Error = new CancelledError()): void {
    const controller = this.running.get(requestId);
    if (controller) controller.abort(reason);
    else this.remember(requestId);
  }

  /** Aborts everything still running (shutdown past its deadline). */
  cancelAll(reason: Error): void {
    for (const controller of this.running.values()) controller.abort(reason);
  }

  get size(): number {
    return this.running.size;
  }

  private remember(requestId: string): void {
    const now = Date.now();
    this.cancelled.set(requestId, now);
    if (this.cancelled.size > 1000) {
      for (const [id, at] of this.cancelled) if (now - at > REMEMBER_MS) this.cancelled.delete(id);
    }
  }
}
