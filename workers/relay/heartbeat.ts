// One ticker per worker process: every running request that has sent nothing for a
// HEARTBEAT_INTERVAL gets a heartbeat event, so the api can tell "slow" from "dead".
import type { RelayOutput } from './relay-output.js';

export class HeartbeatTicker {
  private readonly outputs = new Set<RelayOutput>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), Math.max(this.intervalMs / 2, 50));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  track(output: RelayOutput): () => void {
    this.outputs.add(output);
    return () => this.outputs.delete(output);
  }

  private tick(): void {
    const due = Date.now() - this.intervalMs;
    for (const output of this.outputs) if (output.lastSentAt <= due) output.send({ t: 'hb' });
  }
}
