// Worker process entry (`npm run start:workers`): migrate if needed, run the worker pool,
// shut down gracefully on SIGTERM/SIGINT.
import { closeDb } from '../shared/db.js';
import { runEntry } from '../shared/entry.js';
import { logger } from '../shared/log.js';
import { migrateAndSeed } from '../shared/migrate.js';
import { onShutdown } from '../shared/shutdown.js';
import { startWorkerPool } from './pool.js';

await runEntry('workers', async () => {
  await migrateAndSeed();
  const pool = await startWorkerPool();
  onShutdown(async () => {
    await pool.close();
    await closeDb();
  });
  logger().info('workers ready');
});
