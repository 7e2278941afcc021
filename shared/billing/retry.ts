// Re-runs a whole MySQL transaction when InnoDB picked it as a deadlock victim (1213), which
// concurrent code redemptions and purchases can provoke; the transaction was rolled back.

const DEADLOCK = 'ER_LOCK_DEADLOCK';

export function isDeadlock(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === DEADLOCK;
}

export async function retryOnDeadlock<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
