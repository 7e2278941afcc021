// Channel model mapping (Chat Nio): `from>to` serves `from` by sending `to` upstream;
// `!from>to` also hides `to` itself. One rule per line.

export interface MapperRule {
  from: string;
  to: string;
  hideTarget: boolean;
}

export function parseMapper(mapper: string): MapperRule[] {
  const rules: MapperRule[] = [];
  for (const raw of mapper.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const hideTarget = line.startsWith('!');
    const [from, to] = (hideTarget ? line.slice(1) : line).split('>').map((part) => part.trim());
    if (from && to) rules.push({ from, to, hideTarget });
  }
  return rules;
}

/** The model names a channel answers to, after mapping. */
export function servedModels(models: string[], rules: MapperRule[]): Set<string> {
  const served = new Set(models);
  for (const rule of rules) {
    served.add(rule.from);
    if (rule.hideTarget) served.delete(rule.to);
  }
  return served;
}

/** The model name to send upstream for a requested model. */
export function upstreamModel(model: string, rules: MapperRule[]): string {
  return rules.find((rule) => rule.from === model)?.to ?? model;
}
