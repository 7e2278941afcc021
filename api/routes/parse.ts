// Input validation with zod: the first problem becomes a 400 naming the parameter. Bodies,
// query strings and path ids (positive INT UNSIGNED values) all go through here.
import type { Context } from 'koa';
import type { z } from 'zod';
import { errors } from '../../shared/errors.js';
import { MAX_ROW_ID } from '../../shared/input-bounds.js';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue.path.length > 0 ? issue.path.join('.') : null;
  const message = param
    ? `Invalid value for '${param}': ${issue.message}`
    : `Invalid request body: ${issue.message}`;
  throw errors.invalidRequest(message, param);
}

/** The `:id` path parameter as a row id; `label` names it in the 400 (e.g. 'channel id'). */
export function pathId(ctx: Context, label: string, name = 'id'): number {
  const raw = String(ctx.params?.[name] ?? '');
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(id) || id <= 0 || id > MAX_ROW_ID)
    throw errors.invalidRequest(`${label} must be a positive integer`, name);
  return id;
}
