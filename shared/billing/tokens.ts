// Token counting (gpt-tokenizer: o200k_base for the gpt-4o/o-series family, cl100k_base for
// everything else) that stays linear on any input: byte-pair merging is quadratic in the
// length of one pre-tokenized piece, so pieces longer than PIECE_LIMIT are counted in slices
// (a count that can only be equal or higher). Special-token text counts as plain text.
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import type { ChatRequestBody, Usage } from '../wire/chat.js';

/** Pieces up to this many UTF-16 units are merged whole; longer ones in slices of this size. */
const PIECE_LIMIT = 32;
const AS_TEXT = { disallowedSpecial: new Set<string>() };

interface Encoding {
  count: (text: string) => number;
  split: RegExp;
}

const CL100K: Encoding = {
  count: (text) => countCl100k(text, AS_TEXT),
  split: new RegExp(CL100K_TOKEN_SPLIT_REGEX.source, 'gu'),
};
const O200K: Encoding = {
  count: (text) => countO200k(text, AS_TEXT),
  split: new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'gu'),
};

function encodingFor(model: string): Encoding {
  return /^(gpt-4o|gpt-4\.1|gpt-5|o\d|chatgpt-4o)/i.test(model) ? O200K : CL100K;
}

/** End of a slice of at most PIECE_LIMIT units starting at `start`, never inside a surrogate pair. */
function sliceEnd(text: string, start: number, limit: number): number {
  let end = Math.min(start + PIECE_LIMIT, limit);
  const last = text.charCodeAt(end - 1);
  if (end < limit && last >= 0xd800 && last <= 0xdbff) end += 1;
  return end;
}

/** Tokens of `text`; linear time whatever the text (no spaces, one long word, CJK runs). */
export function countTokens(model: string, text: string): number {
  if (!text) return 0;
  const { count, split } = encodingFor(model);
  let total = 0;
  let runStart = 0;
  split.lastIndex = 0;
  for (let match = split.exec(text); match !== null; match = split.exec(text)) {
    const piece = match[0];
    if (piece.length === 0) {
      split.lastIndex += 1;
      continue;
    }
    if (piece.length <= PIECE_LIMIT) continue;
    // Short pieces before this one are counted together; this one in slices.
    if (match.index > runStart) total += count(text.slice(runStart, match.index));
    const end = match.index + piece.length;
    for (let start = match.index; start < end; ) {
      const stop = sliceEnd(text, start, end);
      total += count(text.slice(start, stop));
      start = stop;
    }
    runStart = end;
  }
  if (runStart < text.length) total += count(text.slice(runStart));
  return total;
}

/** The texts of a chat request that count as prompt, in order. */
function* promptTexts(body: ChatRequestBody): Generator<string> {
  for (const message of body.messages) {
    const content = message.content;
    if (typeof content === 'string') yield content;
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part.text === 'string') yield part.text;
    }
    if (message.name) yield message.name;
    if (message.tool_calls) yield JSON.stringify(message.tool_calls);
  }
  if (body.tools) yield JSON.stringify(body.tools);
}

/** OpenAI's chat accounting: 3 tokens per message, 1 per name, 3 to prime the reply. */
function framingTokens(body: ChatRequestBody): number {
  let total = 3 + 3 * body.messages.length;
  for (const message of body.messages) if (message.name) total += 1;
  return total;
}

export function countPromptTokens(model: string, body: ChatRequestBody): number {
  let total = framingTokens(body);
  for (const text of promptTexts(body)) total += countTokens(model, text);
  return total;
}

export interface PromptBound {
  tokens: number;
  /** True when every text was counted; false when some were bounded by their UTF-8 size. */
  exact: boolean;
}

/** Characters counted exactly per request on the api; beyond them UTF-8 bytes bound the count. */
export const EXACT_PROMPT_BUDGET = 65_536;

/**
 * An upper bound of the prompt's tokens at bounded cost (for holds on the request path): texts
 * are counted exactly while their total stays within `budget` characters, the rest by UTF-8
 * bytes (a token is at least one byte).
 */
export function promptTokenBound(
  model: string,
  body: ChatRequestBody,
  budget = EXACT_PROMPT_BUDGET,
): PromptBound {
  let tokens = framingTokens(body);
  let remaining = budget;
  let exact = true;
  for (const text of promptTexts(body)) {
    if (text.length <= remaining) {
      tokens += countTokens(model, text);
      remaining -= text.length;
    } else {
      tokens += Buffer.byteLength(text, 'utf8');
      exact = false;
    }
  }
  return { tokens, exact };
}

/** Characters counted between two yields to the event loop. */
const COUNT_SLICE = 65_536;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The exact count of a possibly huge text without blocking the event loop: slices of
 * COUNT_SLICE characters (cut at whitespace where possible), a yield between them.
 */
export async function countTokensYielding(model: string, text: string): Promise<number> {
  if (text.length <= COUNT_SLICE) return countTokens(model, text);
  let total = 0;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + COUNT_SLICE, text.length);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start + COUNT_SLICE / 2) end = space;
    }
    total += countTokens(model, text.slice(start, end));
    start = end;
    await yieldToLoop();
  }
  return total;
}

export async function countPromptTokensYielding(model: string, body: ChatRequestBody): Promise<number> {
  let total = framingTokens(body);
  for (const text of promptTexts(body)) total += await countTokensYielding(model, text);
  return total;
}

/** Usage counted locally (the upstream reported none); `promptTokens` when already known exactly. */
export async function countedUsage(
  model: string,
  body: ChatRequestBody,
  producedText: string,
  promptTokens?: number,
): Promise<Usage> {
  const prompt = promptTokens ?? (await countPromptTokensYielding(model, body));
  const completion = await countTokensYielding(model, producedText);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
