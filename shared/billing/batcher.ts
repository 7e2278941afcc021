// A write batcher: items submitted while a batch is being written wait for the next one, so
// batches grow with load and many requests share one MySQL commit. One batch at a time: the
// hot rows (one user's balance) serialise concurrent transactions anyway (measured: writing
// three batches at once was slower on one user). A batch that fails is retried item by item,
// so one bad item never fails the others.

interface Pending<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  maxBatch?: number;
  /** How long the first item of a batch waits for company (0: one event-loop tick). */
  gatherMs?: number;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly gatherMs: number;

  constructor(
    private readonly writeBatch: (inputs: I[]) => Promise<O[]>,
    private readonly writeOne: (input: I) => Promise<O>,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.gatherMs = options.gatherMs ?? 0;
  }

  submit(input: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.running ??= this.loop();
    });
  }

  /** Resolves when everything submitted so far is written. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
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
    this.running = null;
  }
}
