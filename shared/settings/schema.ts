// Site settings: sections with defaults, validated with zod. Stored one row per section in
// the `setting` table (key = section name, value = JSON text); unknown keys are dropped.
import { z } from 'zod';
import { fitsAsJson, MAX_POINTS, modelList, TEXT_BYTES } from '../input-bounds.js';

export const siteSettings = z.object({
  /** Refuse new registrations. */
  close_register: z.boolean().default(false),
  /** Points credited to a new user. */
  quota: z.number().min(0).max(MAX_POINTS).default(0),
  /** Whether /v1 relay requests may be paid by a subscription plan (web chat always may). */
  relay_plan: z.boolean().default(false),
  title: z.string().max(255).default('Chat Nio'),
  /**
   * Model-name fragments of vision-capable families: a web-chat message's images reach a
   * model whose name contains one of them as image parts.
   */
  vision_models: z
    .array(z.string().trim().min(1).max(64))
    .max(200)
    .default([
      'gpt-4o',
      'gpt-4.1',
      'gpt-4-turbo',
      'gpt-4-vision',
      'gpt-5',
      'o1',
      'o3',
      'o4',
      'claude-3',
      'claude-sonnet',
      'claude-opus',
      'claude-haiku',
      'gemini',
      'glm-4v',
      'qwen-vl',
      'vision',
    ]),
  announcement: z.string().max(10_000).default(''),
});

export const mailSettings = z.object({
  host: z.string().max(255).default(''),
  port: z.number().int().min(1).max(65535).default(465),
  /** TLS from the start (465); false uses STARTTLS when offered. */
  secure: z.boolean().default(true),
  username: z.string().max(255).default(''),
  password: z.string().max(255).default(''),
  from: z.string().max(255).default(''),
});

export const billingSettings = z.object({
  /** Output tokens assumed for a hold when the request sets no max_tokens. */
  default_output_tokens: z.number().int().min(1).max(1_000_000).default(4096),
  /**
   * Without max_tokens, a balance short of the default budget still admits the request with
   * the output capped at what it covers, down to this many tokens (below: insufficient_quota).
   */
  min_output_tokens: z.number().int().min(1).max(1_000_000).default(256),
  /** Usage records older than this many days are pruned (0 keeps them forever). */
  record_retention_days: z.number().int().min(0).max(36_500).default(90),
});

export const cacheSettings = z.object({
  /** Models whose answers are cached (opt-in). */
  models: modelList().default([]),
  /** Seconds a cached answer lives (at most a year). */
  expire: z.number().int().min(1).max(31_536_000).default(3600),
  /** Answer variants stored per prompt (a random slot is used). */
  size: z.number().int().min(1).max(100).default(1),
});

export const limitSettings = z.object({
  /** Requests per minute per API key (sliding window); 0 = unlimited. */
  rpm: z.number().int().min(0).max(1_000_000_000).default(100),
  /** Tokens per minute per API key; 0 = unlimited. */
  tpm: z.number().int().min(0).max(1_000_000_000).default(0),
  /** Concurrent relay requests per API key; 0 = unlimited. */
  concurrency: z.number().int().min(0).max(1_000_000_000).default(0),
});

/** Web search through a SearXNG instance (Chat Nio's `search` section and field names). */
export const searchSettings = z.object({
  /** SearXNG's search URL, e.g. http://searxng:8080/search; empty disables web search. */
  endpoint: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(1024)]).default(''),
  /** Cut the results to `crop_len` characters. */
  crop: z.boolean().default(false),
  crop_len: z.number().int().min(1).max(100_000).default(1000),
  /** SearXNG engines to ask (empty: its defaults). */
  engines: z.array(z.string().trim().min(1).max(64)).max(100).default([]),
  /** SearXNG's safesearch level: 0 off, 1 moderate, 2 strict. */
  safe_search: z.number().int().min(0).max(2).default(0),
  image_proxy: z.boolean().default(false),
});

/** Each section is one JSON value in `setting.value` (TEXT): refused when it would not fit. */
const fits = (value: unknown) => fitsAsJson(value);
const fitsMessage = `must be at most ${TEXT_BYTES} bytes as JSON`;

export const settingsSchema = z.object({
  site: siteSettings.refine(fits, fitsMessage).default(siteSettings.parse({})),
  mail: mailSettings.refine(fits, fitsMessage).default(mailSettings.parse({})),
  billing: billingSettings.refine(fits, fitsMessage).default(billingSettings.parse({})),
  cache: cacheSettings.refine(fits, fitsMessage).default(cacheSettings.parse({})),
  limits: limitSettings.refine(fits, fitsMessage).default(limitSettings.parse({})),
  search: searchSettings.refine(fits, fitsMessage).default(searchSettings.parse({})),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsSection = keyof Settings;
export const SETTINGS_SECTIONS = Object.keys(settingsSchema.shape) as SettingsSection[];

export function defaultSettings(): Settings {
  return settingsSchema.parse({});
}
