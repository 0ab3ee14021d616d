/**
 * Label auto-mode (spec ORCH-089): tracker labels choose how a work item goes through the
 * pipeline — which track it takes (the bug track, or any track the project defines, e.g. one
 * that skips stages) and whether its analysis is approved without a human. Rules are per project
 * (`labels:` in the config file); `ORCH_AUTO_LABELS_ENABLED` is the kill-switch and
 * `ORCH_AUTO_LABELS_REPOS` the repository scope. Label names match case-insensitively.
 */
export interface LabelRules {
  /** label → track name (a track of the project's pipeline). Default `{ bug: 'bug' }`. */
  tracks: Readonly<Record<string, string>>;
  /** Labels whose items skip the human approval of the analysis. */
  autoApprove: readonly string[];
}

export const DEFAULT_LABEL_RULES: LabelRules = { tracks: { bug: 'bug' }, autoApprove: [] };

export interface AutoLabelPolicy {
  enabled: boolean;
  /** Repositories label auto-mode applies to; empty = every repository. */
  repos: readonly string[];
}

export const DEFAULT_AUTO_LABEL_POLICY: AutoLabelPolicy = { enabled: true, repos: [] };

/** Pure: whether labels steer items of this repository at all. */
export function labelsApply(policy: AutoLabelPolicy, repo: string): boolean {
  return policy.enabled && (policy.repos.length === 0 || policy.repos.includes(repo));
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * Pure: the track an item's labels select, with the label that chose it; null = the default
 * (`full`). The first label (in the item's order) with a rule for an existing track wins.
 */
export function trackForLabels(
  rules: LabelRules,
  labels: readonly string[],
  tracks: Readonly<Record<string, readonly string[]>>,
): { track: string; label: string } | null {
  const byLabel = new Map(Object.entries(rules.tracks).map(([l, t]) => [norm(l), t]));
  for (const label of labels) {
    const track = byLabel.get(norm(label));
    if (track !== undefined && tracks[track]) return { track, label };
  }
  return null;
}

/** Pure: the first of the item's labels that auto-approves its analysis, or null. */
export function autoApproveLabel(rules: LabelRules, labels: readonly string[]): string | null {
  const wanted = new Set(rules.autoApprove.map(norm));
  return labels.find((l) => wanted.has(norm(l))) ?? null;
}
