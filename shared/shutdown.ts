// Graceful shutdown: on SIGTERM/SIGINT run the cleanup once and exit 0 (1 if it failed).
import { logger } from './log.js';

export function onShutdown(cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger().info({ signal }, 'shutting down');
    cleanup()
      .then(() => process.exit(0))
      .catch((error) => {
        logger().error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
