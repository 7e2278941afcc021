// A write batcher: items submitted while batches are being written wait for the next one, so
// batches grow with load and many requests share one MySQL commit. Up to `lanes` batches are
// written at once (their transactions lock rows in one global order, so they never deadlock).
// A batch that fails is retried item by item, so one bad item never fails the others.

interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  maxBatch?: number;
  /** How long the first item of a batch waits for company (0: one event-loop tick). */
  gatherMs?: number;
  /** Batches written concurrently. */
  lanes?: number;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;
  private idle: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly gatherMs: number;
  private readonly lanes: number;

  constructor(
    private readonly writeBatch: (inputs: I[]) => Promise<O[]>,
    private readonly writeOne: (input: I) => Promise<O>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.gatherMs = options.gatherMs ?? 0;
    this.lanes = options.lanes ?? 1;
  }

  submit(input: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.running < this.lanes) {
        this.running += 1;
        this.loop().finally(() => this.laneDone());
      }
    });
  }

  /** Resolves when everything submitted so far is written. */
  async drain(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private laneDone(): void {
    this.running -= 1;
    if (this.running > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async loop(): Promise<void> {
    // A little slack so requests ending together share a commit.
    if (this.gatherMs > 0) await new Promise((resolve) => setTimeout(resolve, this.gatherMs));
    else await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outputs = await this.writeBatch(batch.map((item) => item.input));
        for (const [index, item] of batch.entries()) item.resolve(outputs[index]);
      } catch {
        for (const item of batch) await this.writeOne(item.input).then(item.resolve, item.reject);
      }
    }
  }
}
