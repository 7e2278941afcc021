// `npm start`: the single-machine default. Migrates and seeds, then runs the api and a
// worker pool in this one process; SIGTERM drains both and exits 0.
import { startApiServer } from '../api/server.js';
import { config } from '../shared/config.js';
import { closeDb } from '../shared/db.js';
import { runEntry } from '../shared/entry.js';
import { logger } from '../shared/log.js';
import { migrateAndSeed } from '../shared/migrate.js';
import { onShutdown } from '../shared/shutdown.js';
import { startWorkerPool } from '../workers/pool.js';

await runEntry('chatnio', async () => {
  await migrateAndSeed();
  const pool = await startWorkerPool();
  const api = await startApiServer(config().SERVER_PORT, config().SERVER_HOST);
  logger().info({ url: api.url }, 'chatnio started (api + workers)');
  onShutdown(async () => {
    await Promise.all([api.stop(), pool.close()]);
    await closeDb();
  });
});
