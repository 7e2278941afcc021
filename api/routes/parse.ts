// Body validation with zod: the first problem becomes a 400 naming the parameter.
import type { z } from 'zod';
import { errors } from '../../shared/errors.js';

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
