// Mock provider JSON responses: one writeHead with content-type and content-length, then end.
import type { ServerResponse } from 'node:http';

export function sendJson(
  response: ServerResponse,
  status: number,
  body: string,
  extraHeaders?: Record<string, string>,
): void {
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  if (extraHeaders) Object.assign(headers, extraHeaders);
  response.writeHead(status, headers);
  response.end(body);
}
