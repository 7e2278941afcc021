// Reads one relay response and decides whether it is complete: SSE must be HTTP 200, carry the expected
// concatenated content and end with `data: [DONE]`; JSON must be 200 with the expected message content.
import type { Dispatcher } from 'undici';

export interface CheckedResponse {
  ok: boolean;
  errorKind: string | null;
  /** Short description for the error samples (status, body excerpt). */
  detail: string | null;
  /** performance.now() when the first content-carrying frame arrived (stream) or null. */
  firstContentAt: number | null;
}

const excerptLength = 400;

function failure(kind: string, detail: string): CheckedResponse {
  return { ok: false, errorKind: kind, detail: detail.slice(0, excerptLength), firstContentAt: null };
}

async function readText(body: Dispatcher.ResponseData['body']): Promise<string> {
  try {
    return await body.text();
  } catch (error) {
    return `<body read failed: ${String(error)}>`;
  }
}

interface ChunkJson {
  error?: unknown;
  choices?: { delta?: { content?: unknown } }[];
}

/** Parses SSE frames as they arrive; content is collected from `choices[*].delta.content`. */
export async function checkStream(
  response: Dispatcher.ResponseData,
  expected: string,
): Promise<CheckedResponse> {
  if (response.statusCode !== 200) {
    return failure(`http_${response.statusCode}`, await readText(response.body));
  }
  let buffer = '';
  let content = '';
  let firstContentAt: number | null = null;
  let done = false;
  let afterDone = false;
  let errorFrame: string | null = null;
  let badFrame: string | null = null;
  response.body.setEncoding('utf8');
  for await (const piece of response.body as AsyncIterable<string>) {
    buffer += piece;
    let boundary = buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(line[5] === ' ' ? 6 : 5);
        if (done) {
          afterDone = true;
          continue;
        }
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        let parsed: ChunkJson;
        try {
          parsed = JSON.parse(data) as ChunkJson;
        } catch {
          badFrame ??= data;
          continue;
        }
        if (parsed.error !== undefined) {
          errorFrame ??= data;
          continue;
        }
        for (const choice of parsed.choices ?? []) {
          const text = choice.delta?.content;
          if (typeof text === 'string' && text !== '') {
            firstContentAt ??= performance.now();
            content += text;
          }
        }
      }
    }
  }
  if (errorFrame !== null) return failure('error_frame', errorFrame);
  if (badFrame !== null) return failure('bad_frame', badFrame);
  if (!done) return failure('missing_done', `content so far: ${JSON.stringify(content)}; tail: ${buffer}`);
  if (afterDone) return failure('data_after_done', buffer);
  if (content !== expected) {
    return failure('content_mismatch', `expected ${JSON.stringify(expected)} got ${JSON.stringify(content)}`);
  }
  return { ok: true, errorKind: null, detail: null, firstContentAt };
}

interface CompletionJson {
  choices?: { message?: { content?: unknown } }[];
}

export async function checkJson(
  response: Dispatcher.ResponseData,
  expected: string,
): Promise<CheckedResponse> {
  const text = await readText(response.body);
  if (response.statusCode !== 200) return failure(`http_${response.statusCode}`, text);
  let parsed: CompletionJson;
  try {
    parsed = JSON.parse(text) as CompletionJson;
  } catch {
    return failure('bad_json', text);
  }
  const content = parsed.choices?.[0]?.message?.content;
  if (content !== expected) {
    return failure('content_mismatch', `expected ${JSON.stringify(expected)} got ${JSON.stringify(content)}`);
  }
  return { ok: true, errorKind: null, detail: null, firstContentAt: null };
}

/** Maps a thrown request error to an error kind. */
export function classifyThrown(error: unknown): CheckedResponse {
  const code = (error as { code?: unknown })?.code;
  const name = (error as { name?: unknown })?.name;
  const message = String((error as { message?: unknown })?.message ?? error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return failure('timeout', message);
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED') return failure('aborted', message);
  return failure(typeof code === 'string' ? `network_${code}` : 'network_error', message);
}
