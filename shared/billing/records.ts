// Usage records as pages, newest first: a user's own, or everyone's with filters (admins).
import type { Knex } from 'knex';
import { type Page, paginate } from '../pagination.js';

export const RECORD_PAGE_SIZE = 20;

const COLUMNS = [
  'id',
  'request_id',
  'created_at',
  'user_id',
  'api_key_id',
  'model',
  'upstream_model',
  'channel_id',
  'prompt_tokens',
  'completion_tokens',
  'cost',
  'source',
  'end_reason',
  'latency_ms',
  'ttft_ms',
];

export interface RecordFilter {
  user?: number;
  model?: string;
}

export async function listUsageRecords(
  knex: Knex,
  filter: RecordFilter,
  page: number,
): Promise<Page<Record<string, unknown>>> {
  const query = knex('usage_record').select(COLUMNS).orderBy('id', 'desc');
  if (filter.user) query.where('user_id', filter.user);
  if (filter.model) query.where('model', filter.model);
  const result = await paginate(query, page, RECORD_PAGE_SIZE);
  return { ...result, data: result.data.map((row) => ({ ...row, cost: Number(row.cost) })) };
}
