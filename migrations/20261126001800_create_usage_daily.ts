// This project's `usage_daily` table: per day, user and model rollups for analytics,
// updated as requests end.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('usage_daily', (table) => {
    table.date('day').notNullable();
    table.integer('user_id').unsigned().notNullable();
    table.string('model', 255).notNullable();
    table.integer('requests').unsigned().notNullable().defaultTo(0);
    table.integer('failures').unsigned().notNullable().defaultTo(0);
    table.bigInteger('prompt_tokens').unsigned().notNullable().defaultTo(0);
    table.bigInteger('completion_tokens').unsigned().notNullable().defaultTo(0);
    table.decimal('cost', 24, 6).notNullable().defaultTo(0);
    table.primary(['day', 'user_id', 'model']);
    table.index(['model', 'day']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('usage_daily');
}
