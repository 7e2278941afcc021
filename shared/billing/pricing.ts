// Billing math (CHATNIO-API.md section 9) in micro-points. token-billing charges `input` per
// 1k prompt tokens and `output` per 1k completion tokens; times-billing charges `output` per
// request; non-billing is free. Prices are points (numbers, as admins set them).
import { divideRounded, type Micros, toMicro } from './money.js';

export type ChargeType = 'non-billing' | 'times-billing' | 'token-billing';

export interface ChargeRule {
  id: number;
  type: ChargeType;
  models: string[];
  input: number;
  output: number;
  anonymous: boolean;
}

export type Price = Pick<ChargeRule, 'type' | 'input' | 'output'>;

export function costOf(rule: Price, promptTokens: number, completionTokens: number): Micros {
  if (rule.type === 'times-billing') return toMicro(rule.output);
  if (rule.type === 'token-billing') {
    return divideRounded(
      toMicro(rule.input) * BigInt(promptTokens) + toMicro(rule.output) * BigInt(completionTokens),
      1000n,
    );
  }
  return 0n;
}

/** What to reserve before a request: the prompt as counted plus the whole output budget. */
export function holdEstimate(rule: Price, promptTokens: number, outputBudget: number): Micros {
  return costOf(rule, promptTokens, outputBudget);
}

/** The output price in micro-points per 1,000 tokens (for holds that shrink their budget). */
export function outputMicrosPer1k(rule: Price): Micros {
  return rule.type === 'token-billing' ? toMicro(rule.output) : 0n;
}
