// `npm run migrate`: runs the migrations and the root seed, then exits.
import { closeDb } from '../shared/db.js';
import { runEntry } from '../shared/entry.js';
import { logger } from '../shared/log.js';
import { migrateAndSeed } from '../shared/migrate.js';

await runEntry('migrate', async () => {
  try {
    await migrateAndSeed();
    logger().info('database is up to date');
  } finally {
    await closeDb();
  }
});
