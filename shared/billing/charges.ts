// Charge rules: the `charge` table held in memory by every process (one rule per model,
// reloaded when an admin change is announced), plus the admin operations on it.
import type { Knex } from 'knex';
import { z } from 'zod';
import { errors } from '../errors.js';
import { MAX_PRICE, MAX_ROW_ID, modelList } from '../input-bounds.js';
import type { ChargeRule } from './pricing.js';

export const chargeInputSchema = z.object({
  /** -1 creates a rule; any other value replaces that rule. */
  id: z.number().int().min(-1).max(MAX_ROW_ID).default(-1),
  type: z.enum(['non-billing', 'times-billing', 'token-billing']),
  models: modelList().min(1),
  /** Points per 1k prompt tokens (token-billing) or per request (times-billing). */
  input: z.number().min(0).max(MAX_PRICE).default(0),
  output: z.number().min(0).max(MAX_PRICE).default(0),
  anonymous: z.boolean().default(false),
});

export type ChargeInput = z.infer<typeof chargeInputSchema>;

function toRule(row: Record<string, unknown>): ChargeRule {
  let models: string[] = [];
  try {
    models = (JSON.parse(String(row.models)) as unknown[]).map(String);
  } catch {
    models = [];
  }
  return {
    id: Number(row.id),
    type: String(row.type) as ChargeRule['type'],
    models,
    input: Number(row.input),
    output: Number(row.output),
    anonymous: Boolean(row.anonymous),
  };
}

export class ChargeStore {
  private rules: ChargeRule[] = [];
  private byModel = new Map<string, ChargeRule>();

  constructor(private readonly knex: Knex) {}

  async reload(): Promise<void> {
    const rows = await this.knex('charge').orderBy('id').select('*');
    this.rules = rows.map(toRule);
    const byModel = new Map<string, ChargeRule>();
    for (const rule of this.rules)
      for (const model of rule.models) if (!byModel.has(model)) byModel.set(model, rule);
    this.byModel = byModel;
  }

  list(): ChargeRule[] {
    return this.rules;
  }

  ruleFor(model: string): ChargeRule | null {
    return this.byModel.get(model) ?? null;
  }

  /** Creates (id -1) or replaces one rule; a model may belong to one rule only. */
  async set(input: ChargeInput): Promise<number> {
    return this.knex.transaction(async (trx) => {
      const row = {
        type: input.type,
        models: JSON.stringify(input.models),
        input: input.input,
        output: input.output,
        anonymous: input.anonymous,
      };
      let id = input.id;
      if (id === -1) [id] = await trx('charge').insert(row);
      else if (
        (await trx('charge')
          .where({ id })
          .update({ ...row, updated_at: trx.fn.now() })) === 0
      ) {
        throw errors.notFound(`charge rule ${id} not found`);
      }
      await removeModelsFromOthers(trx, id, input.models);
      return id;
    });
  }

  async delete(id: number): Promise<boolean> {
    return (await this.knex('charge').where({ id }).delete()) > 0;
  }

  /** Imports rules: overwrite replaces the rules of the listed models, else only unpriced models are added. */
  async sync(rules: ChargeInput[], overwrite: boolean): Promise<number> {
    let written = 0;
    for (const rule of rules) {
      const models = overwrite ? rule.models : rule.models.filter((model) => !this.byModel.has(model));
      if (models.length === 0) continue;
      await this.set({ ...rule, id: -1, models });
      written += 1;
    }
    return written;
  }
}

async function removeModelsFromOthers(
  trx: Knex.Transaction,
  keepId: number,
  models: string[],
): Promise<void> {
  const others = await trx('charge').whereNot({ id: keepId }).select('id', 'models');
  for (const other of others) {
    const rule = toRule(other);
    const remaining = rule.models.filter((model) => !models.includes(model));
    if (remaining.length === rule.models.length) continue;
    if (remaining.length === 0) await trx('charge').where({ id: rule.id }).delete();
    else
      await trx('charge')
        .where({ id: rule.id })
        .update({ models: JSON.stringify(remaining) });
  }
}
