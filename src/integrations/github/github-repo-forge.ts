import type { Forge } from '../forge/forge.js';

/** A forge that can also fetch a fresh credential before a clone (a GitHub App's token). */
interface FreshCloneForge extends Forge {
  cloneUrlFresh?(repo: string): Promise<string>;
}

/**
 * One project's view of GitHubForge: the pipeline names a project's repository by its Orch name
 * (`projects[].repo`, e.g. `trails`), GitHub by `owner/name`; every call is made for `fullName`.
 * One per project, all over one shared GithubForge (and its client, tokens and rate limits).
 */
export function githubRepoForge(forge: FreshCloneForge, fullName: string): FreshCloneForge {
  const fresh = forge.cloneUrlFresh?.bind(forge);
  return {
    kind: forge.kind,
    cloneUrl: () => forge.cloneUrl(fullName),
    defaultBranch: () => forge.defaultBranch(fullName),
    ensureBranch: (_repo, branch, fromRef) => forge.ensureBranch(fullName, branch, fromRef),
    ensurePullRequest: (_repo, pr) => forge.ensurePullRequest(fullName, pr),
    findPullRequest: (_repo, head, base) => forge.findPullRequest(fullName, head, base),
    merge: (_repo, prNumber, options) => forge.merge(fullName, prNumber, options),
    setStatus: (_repo, sha, status) => forge.setStatus(fullName, sha, status),
    combinedStatus: (_repo, ref) => forge.combinedStatus(fullName, ref),
    listReviews: (_repo, prNumber) => forge.listReviews(fullName, prNumber),
    ...(fresh && { cloneUrlFresh: () => fresh(fullName) }),
  };
}
