// Billing math (CHATNIO-API.md section 9): points with 6 decimals. token-billing charges
// `input` per 1k prompt tokens and `output` per 1k completion tokens; times-billing charges
// `output` per request; non-billing is free.

export type ChargeType = 'non-billing' | 'times-billing' | 'token-billing';

export interface ChargeRule {
  id: number;
  type: ChargeType;
  models: string[];
  input: number;
  output: number;
  anonymous: boolean;
}

/** Rounds to the 6 decimals MySQL keeps (DECIMAL(24,6)), as a number. */
export function roundPoints(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A DECIMAL-safe string for SQL parameters. */
export function pointsString(value: number): string {
  return roundPoints(value).toFixed(6);
}

export function costOf(
  rule: Pick<ChargeRule, 'type' | 'input' | 'output'>,
  promptTokens: number,
  completionTokens: number,
): number {
  if (rule.type === 'times-billing') return roundPoints(rule.output);
  if (rule.type === 'token-billing') {
    return roundPoints((rule.input * promptTokens + rule.output * completionTokens) / 1000);
  }
  return 0;
}

/** What to reserve before a request: the prompt as counted plus the whole output budget. */
export function holdEstimate(
  rule: Pick<ChargeRule, 'type' | 'input' | 'output'>,
  promptTokens: number,
  outputBudget: number,
): number {
  return costOf(rule, promptTokens, outputBudget);
}
