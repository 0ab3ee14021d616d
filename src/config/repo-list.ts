/** Pure: a CSV list of repositories (`ORCH_STOP_REPOS`, `ORCH_AUTO_LABELS_REPOS`); blanks ignored. */
export function parseRepoList(csv: string): string[] {
  return csv
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
}
