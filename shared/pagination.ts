// One pagination helper for every paged list (users, codes, usage records): 0-based pages of a
// fixed size, the total row count and the page count beside the rows.
import type { Knex } from 'knex';

export interface Page<T> {
  /** Rows matching the query, on all pages. */
  total: number;
  page: number;
  pages: number;
  data: T[];
}

/** Runs `query` for page `page` (0-based) of `size` rows, counting the whole result once. */
export async function paginate<T = Record<string, unknown>>(
  query: Knex.QueryBuilder,
  page: number,
  size: number,
): Promise<Page<T>> {
  const counted = await query.clone().clearSelect().clearOrder().count({ n: '*' }).first();
  const total = Number((counted as { n?: number | string } | undefined)?.n ?? 0);
  const data: T[] = await query
    .clone()
    .limit(size)
    .offset(page * size);
  return { total, page, pages: Math.ceil(total / size), data };
}
