export interface ChangeView {
  action: string;
  target: string;
  before?: string;
  after?: string;
}

export interface PlanView {
  changes: ChangeView[];
  warnings: string[];
}

const SIGN: Record<string, string> = { create: '+', set: '+', generate: '+', update: '~', missing: '!' };

/** A plan as a diff: `+` added, `~` changed, `!` must be set by you. */
export function formatPlan(plan: PlanView): string {
  const lines = plan.changes.map((c) => {
    const sign = SIGN[c.action] ?? '?';
    if (c.action === 'update' && c.before !== undefined) return `${sign} ${c.target}: ${c.before} → ${c.after}`;
    if (c.action === 'generate') return `${sign} ${c.target} = (generated secret)`;
    if (c.action === 'missing') return `${sign} ${c.target} is required and not set`;
    return `${sign} ${c.target}${c.after !== undefined ? (c.action === 'create' ? ` (${c.after})` : ` = ${c.after}`) : ''}`;
  });
  if (lines.length === 0) lines.push('No changes: the environment already matches.');
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
