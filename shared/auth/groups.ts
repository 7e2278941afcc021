// User group for channel routing (Chat Nio): anonymous without a user, else by
// subscription level: 0 normal, 1 basic, 2 standard, 3 pro.

export const GROUPS = ['anonymous', 'normal', 'basic', 'standard', 'pro'] as const;
export type Group = (typeof GROUPS)[number];

export function groupForLevel(
  level: number | null | undefined,
  expiredAt: Date | string | null | undefined,
): Group {
  if (!level || !expiredAt || new Date(expiredAt).getTime() <= Date.now()) return 'normal';
  return (['normal', 'basic', 'standard', 'pro'] as const)[Math.min(Math.max(level, 0), 3)];
}
