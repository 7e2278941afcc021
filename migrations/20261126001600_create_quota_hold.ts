// This project's `quota_hold` table: the money anchor of one request. A hold is taken before
// the request is enqueued and settled or released exactly once (state moves from `held`).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('quota_hold', (table) => {
    table.string('request_id', 64).primary();
    table.integer('user_id').unsigned().notNullable();
    table.string('source', 16).notNullable();
    table.decimal('amount', 24, 6).notNullable().defaultTo(0);
    table.string('plan_item', 64).nullable();
    table.date('plan_period').nullable();
    table.string('state', 16).notNullable().defaultTo('held');
    table.decimal('charged', 24, 6).nullable();
    table.timestamp('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    table.timestamp('ended_at', { precision: 3 }).nullable();
    table.index(['state', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('quota_hold');
}
