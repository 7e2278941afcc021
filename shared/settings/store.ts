// Every process's copy of the site settings: loaded from MySQL, replaced when a change is
// announced over Redis (no restart), read synchronously on hot paths.
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { errors } from '../errors.js';
import { announceInvalidate } from '../pubsub.js';
import {
  defaultSettings,
  SETTINGS_SECTIONS,
  type Settings,
  type SettingsSection,
  settingsSchema,
} from './schema.js';

export class SettingsStore {
  private current: Settings = defaultSettings();

  constructor(private readonly knex: Knex) {}

  get(): Readonly<Settings> {
    return this.current;
  }

  async reload(): Promise<void> {
    const rows: { key: string; value: string }[] = await this.knex('setting')
      .whereIn('key', SETTINGS_SECTIONS)
      .select('key', 'value');
    const raw: Record<string, unknown> = {};
    for (const row of rows) {
      try {
        raw[row.key] = JSON.parse(row.value);
      } catch {
        // a broken row falls back to the defaults of its section
      }
    }
    const parsed = settingsSchema.safeParse(raw);
    this.current = parsed.success ? parsed.data : this.mergeValidSections(raw);
  }

  /** Validates and stores a partial update of one or more sections, then tells every process. */
  async update(
    redis: Redis,
    invalidateChannel: string,
    patch: Partial<Record<SettingsSection, unknown>>,
  ): Promise<Settings> {
    const next: Record<string, unknown> = { ...this.current };
    for (const [section, value] of Object.entries(patch)) {
      if (!SETTINGS_SECTIONS.includes(section as SettingsSection)) {
        throw errors.invalidRequest(`unknown settings section '${section}'`, section);
      }
      next[section] = { ...(this.current[section as SettingsSection] as object), ...(value as object) };
    }
    const parsed = settingsSchema.safeParse(next);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw errors.invalidRequest(
        `Invalid value for '${issue.path.join('.')}': ${issue.message}`,
        issue.path.join('.'),
      );
    }
    await this.knex.transaction(async (trx) => {
      for (const section of Object.keys(patch) as SettingsSection[]) {
        await trx.raw(
          'INSERT INTO `setting` (`key`, `value`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `value` = VALUES(`value`), `updated_at` = CURRENT_TIMESTAMP',
          [section, JSON.stringify(parsed.data[section])],
        );
      }
    });
    this.current = parsed.data;
    await announceInvalidate(redis, invalidateChannel, 'settings');
    return parsed.data;
  }

  private mergeValidSections(raw: Record<string, unknown>): Settings {
    const merged: Record<string, unknown> = {};
    for (const section of SETTINGS_SECTIONS) {
      const one = settingsSchema.shape[section].safeParse(raw[section]);
      if (one.success) merged[section] = one.data;
    }
    return settingsSchema.parse(merged);
  }
}
