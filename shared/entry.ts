// Wraps a process entry point: the config is validated first (a bad variable prints one
// clear message naming it), and any start-up failure exits 1 with a logged reason.
import { ConfigError, config } from './config.js';
import { logger } from './log.js';

export async function runEntry(name: string, main: () => Promise<void>): Promise<void> {
  try {
    config();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  try {
    await main();
  } catch (error) {
    logger().fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
}
