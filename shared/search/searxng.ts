// Web search as Chat Nio does it: the last user message is sent to SearXNG
// (`GET <endpoint>?q=...&format=json`), the results become one system message with the
// current date and time. A failure (down, slow, not JSON, an HTML page) is said in that
// message instead, and the chat goes on. Hosts and keys never appear in what is said.
import { request } from 'undici';
import { readBounded } from '../providers/http.js';
import { scrub } from '../providers/upstream-error.js';
import type { Settings } from '../settings/schema.js';

export type SearchSettings = Settings['search'];

const TIMEOUT_MS = 10_000;
const BODY_LIMIT = 2 * 1024 * 1024;

interface SearxngResult {
  url?: unknown;
  title?: unknown;
  content?: unknown;
}

export type SearchOutcome = { ok: true; text: string } | { ok: false; error: string };

export function searchUrl(settings: SearchSettings, query: string): string {
  const url = new URL(settings.endpoint);
  url.searchParams.set('q', query);
  url.searchParams.set('format', 'json');
  url.searchParams.set('safesearch', String(settings.safe_search));
  if (settings.engines.length > 0) url.searchParams.set('engines', settings.engines.join(','));
  if (settings.image_proxy) url.searchParams.set('image_proxy', 'true');
  return url.toString();
}

/** `title (url): content` per result, one a line, cropped when the settings say so. */
export function formatResults(results: SearxngResult[], settings: SearchSettings): string {
  const lines = results
    .filter(
      (r) =>
        typeof r.url === 'string' &&
        r.url &&
        typeof r.title === 'string' &&
        r.title &&
        typeof r.content === 'string' &&
        r.content,
    )
    .map((r) => `${r.title} (${r.url}): ${r.content}`);
  const text = lines.join('\n');
  return settings.crop && text.length > settings.crop_len ? `${text.slice(0, settings.crop_len)}...` : text;
}

export async function searchWeb(
  settings: SearchSettings,
  query: string,
  timeoutMs = TIMEOUT_MS,
): Promise<SearchOutcome> {
  if (!settings.endpoint) return { ok: false, error: 'web search is not configured' };
  try {
    const response = await request(searchUrl(settings, query), {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readBounded(response.body, BODY_LIMIT);
    if (response.statusCode !== 200)
      return { ok: false, error: `the search service answered HTTP ${response.statusCode}` };
    let parsed: { results?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      return { ok: false, error: 'the search service did not answer JSON' };
    }
    const results = Array.isArray(parsed.results) ? (parsed.results as SearxngResult[]) : [];
    return { ok: true, text: formatResults(results, settings) };
  } catch (error) {
    const name = (error as Error).name;
    return {
      ok: false,
      error:
        name === 'TimeoutError' || name === 'AbortError'
          ? 'the search timed out'
          : scrub(`the search failed (${(error as Error).message})`),
    };
  }
}

/** The system message placed before the conversation (Chat Nio's wording). */
export function searchMessage(outcome: SearchOutcome, now = new Date()): string {
  const time = now.toISOString().replace('T', ' ').slice(0, 19);
  const results = outcome.ok ? outcome.text || 'no results' : `search failed: ${outcome.error}`;
  return (
    'You will play the role of an AI Q&A assistant, where your knowledge base is not offline, but can be networked in real time, ' +
    'and you can provide real-time networked information with links to networked search sources.' +
    `Current time: ${time} (UTC), Real-time internet search results: ${results}`
  );
}
