// Api process entry (`npm run start:api`): migrate if needed, listen on SERVER_PORT,
// drain gracefully on SIGTERM/SIGINT.
import { config } from '../shared/config.js';
import { closeDb } from '../shared/db.js';
import { runEntry } from '../shared/entry.js';
import { migrateAndSeed } from '../shared/migrate.js';
import { onShutdown } from '../shared/shutdown.js';
import { startApiServer } from './server.js';

await runEntry('api', async () => {
  await migrateAndSeed();
  const api = await startApiServer(config().SERVER_PORT, config().SERVER_HOST);
  onShutdown(async () => {
    await api.stop();
    await closeDb();
  });
});
