// subscription.started_at: the anchor of the monthly plan-usage periods, set when a
// subscription starts (new or after expiry). Adopted Chat Nio rows stay NULL (created_at is used).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscription', (table) => {
    table.datetime('started_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscription', (table) => {
    table.dropColumn('started_at');
  });
}
