// JSON body parsing with a size limit; junk bodies become a clear 400 (413 when too big).
import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import { errors } from '../../shared/errors.js';
import { isUnder } from './canonical-path.js';

export function jsonBody(limit: string): Middleware {
  return bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    detectJSON: (ctx) => isUnder(ctx.path, '/v1') || isUnder(ctx.path, '/admin'),
    onError(error) {
      if ((error as { status?: number }).status === 413) throw errors.payloadTooLarge();
      throw errors.invalidRequest(
        'We could not parse the JSON body of your request. Send valid JSON with Content-Type: application/json.',
      );
    },
  });
}
