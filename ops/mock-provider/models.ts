// Mock provider model catalogue: the fixed ids served by `GET /v1/models` and `GET /v1/models/{id}`.
import type { ServerResponse } from 'node:http';
import { sendOpenAiError } from './failures.js';
import { sendJson } from './json-response.js';

export const mockModelIds = ['gpt-4o', 'gpt-4o-mini', 'gpt-3.5-turbo', 'mock-model'];

const createdAt = 1_700_000_000;

function modelObject(id: string): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id, object: 'model', created: createdAt, owned_by: 'mock' };
}

const modelListBody = JSON.stringify({ object: 'list', data: mockModelIds.map(modelObject) });

/** Answers `/v1/models` (list) or `/v1/models/{id}`; `route` is the path from `/v1/` on. */
export function sendModels(response: ServerResponse, route: string, requestId: string): void {
  if (route === '/v1/models' || route === '/v1/models/') {
    sendJson(response, 200, modelListBody, { 'x-request-id': requestId });
    return;
  }
  let id = route.slice('/v1/models/'.length);
  try {
    id = decodeURIComponent(id);
  } catch {
    // keep the raw id
  }
  if (!mockModelIds.includes(id)) {
    sendOpenAiError(response, 404, { message: `The model '${id}' does not exist`, requestId });
    return;
  }
  sendJson(response, 200, JSON.stringify(modelObject(id)), { 'x-request-id': requestId });
}
