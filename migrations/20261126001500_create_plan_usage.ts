// This project's `plan_usage` table: how much of each plan item a user used in one
// subscription month (period_start is that month's anchor date).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plan_usage', (table) => {
    table.integer('user_id').unsigned().notNullable().references('auth.id');
    table.string('item_id', 64).notNullable();
    table.date('period_start').notNullable();
    table.integer('used').notNullable().defaultTo(0);
    table.primary(['user_id', 'item_id', 'period_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plan_usage');
}
