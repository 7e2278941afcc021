// This project's `usage_record` table: one slim row per relay request (who, what, where,
// how much, paid by what, how it ended, how fast).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('usage_record', (table) => {
    table.bigIncrements('id').primary();
    table.string('request_id', 64).notNullable().unique();
    table.timestamp('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    table.integer('user_id').unsigned().notNullable();
    table.integer('api_key_id').unsigned().nullable();
    table.string('model', 255).notNullable();
    table.string('upstream_model', 255).nullable();
    table.integer('channel_id').unsigned().nullable();
    table.integer('prompt_tokens').notNullable().defaultTo(0);
    table.integer('completion_tokens').notNullable().defaultTo(0);
    table.decimal('cost', 24, 6).notNullable().defaultTo(0);
    table.string('source', 16).notNullable();
    table.string('end_reason', 32).notNullable();
    table.integer('latency_ms').unsigned().nullable();
    table.integer('ttft_ms').unsigned().nullable();
    table.index(['user_id', 'created_at']);
    table.index(['created_at']);
    table.index(['model', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('usage_record');
}
