// Subscription plans (levels 1 basic, 2 standard, 3 pro): validated with zod, kept in memory
// by every process, replaced as a whole by admins and reloaded everywhere on the 'plans' topic.
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { z } from 'zod';
import { errors } from '../errors.js';
import { fitsAsJson, MAX_INT, MAX_PRICE, modelList, TEXT_BYTES } from '../input-bounds.js';
import { logger } from '../log.js';
import { announceInvalidate } from '../pubsub.js';
import { toMicro } from './money.js';

export const planItemSchema = z.object({
  /** Key of the usage counter (plan_usage.item_id). */
  id: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(255),
  icon: z.string().max(1024).default(''),
  /** Requests per month; -1 unlimited (plan_usage.used is an INT). */
  value: z.number().int().min(-1).max(MAX_INT),
  models: modelList().default([]),
});

export const planSchema = z
  .object({
    level: z.number().int().min(1).max(3),
    name: z.string().trim().min(1).max(255),
    /** Monthly price in points. */
    price: z.number().min(0).max(MAX_PRICE),
    /** Stored as JSON in plan.items (TEXT). */
    items: z
      .array(planItemSchema)
      .max(100)
      .refine((items) => fitsAsJson(items), `must be at most ${TEXT_BYTES} bytes as JSON`)
      .default([]),
  })
  .superRefine((plan, ctx) => {
    // Compared case-insensitively, like the plan_usage key in MySQL.
    const seen = new Set<string>();
    plan.items.forEach((item, index) => {
      const key = item.id.toLowerCase();
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['items', index, 'id'],
          message: `duplicate item id '${item.id}'`,
        });
      seen.add(key);
    });
  });

export const plansSchema = z
  .array(planSchema)
  .max(3)
  .superRefine((plans, ctx) => {
    const seen = new Set<number>();
    plans.forEach((plan, index) => {
      if (seen.has(plan.level))
        ctx.addIssue({ code: 'custom', path: [index, 'level'], message: `duplicate level ${plan.level}` });
      seen.add(plan.level);
    });
  });

export type PlanItem = z.infer<typeof planItemSchema>;
export type Plan = z.infer<typeof planSchema>;

/** The first item of the level's plan that lists the model; null when none (or no plan). */
export function findCoveringItem(plans: readonly Plan[], level: number, model: string): PlanItem | null {
  const plan = plans.find((candidate) => candidate.level === level);
  return plan?.items.find((item) => item.models.includes(model)) ?? null;
}

export class PlanStore {
  private plans: Plan[] = [];

  constructor(private readonly knex: Knex) {}

  /** All plans, ordered by level. */
  get(): readonly Plan[] {
    return this.plans;
  }

  find(level: number): Plan | null {
    return this.plans.find((plan) => plan.level === level) ?? null;
  }

  /** Monthly price of a level in micro-points; null when that level has no plan. */
  monthlyPrice(level: number): bigint | null {
    const plan = this.find(level);
    return plan ? toMicro(plan.price) : null;
  }

  /**
   * The plan item that pays for `model` at subscription `level` (pass the level of an
   * active subscription, 0 for none): the first item of that plan listing the model.
   */
  coveringItem(level: number, model: string): PlanItem | null {
    return findCoveringItem(this.plans, level, model);
  }

  async reload(): Promise<void> {
    const rows: { level: number; name: string; price: string; items: string }[] = await this.knex('plan')
      .select('level', 'name', 'price', 'items')
      .orderBy('level');
    const plans: Plan[] = [];
    for (const row of rows) {
      const parsed = planSchema.safeParse({ ...row, price: Number(row.price), items: parseItems(row.items) });
      if (parsed.success) plans.push(parsed.data);
      else logger().warn({ level: row.level, issue: parsed.error.issues[0] }, 'invalid plan row skipped');
    }
    this.plans = plans;
  }

  /** Validates and replaces every plan in one transaction, then tells every process. */
  async update(redis: Redis, invalidateChannel: string, input: unknown): Promise<readonly Plan[]> {
    const parsed = plansSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = ['data', ...issue.path].join('.');
      throw errors.invalidRequest(`Invalid value for '${param}': ${issue.message}`, param);
    }
    const plans = [...parsed.data].sort((a, b) => a.level - b.level);
    await this.knex.transaction(async (trx) => {
      await trx('plan').delete();
      if (plans.length === 0) return;
      await trx('plan').insert(
        plans.map((plan) => ({
          level: plan.level,
          name: plan.name,
          price: plan.price.toFixed(6),
          items: JSON.stringify(plan.items),
        })),
      );
    });
    this.plans = plans;
    await announceInvalidate(redis, invalidateChannel, 'plans');
    return plans;
  }
}

function parseItems(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
