import type { Clock } from '../../clock.js';
import type { IntegrationSettings } from '../../config/integrations.js';
import type { GithubForgeConfig, GithubTrackerConfig } from '../../config/projects.js';
import type { Logger } from '../../log.js';
import type { BotIdentity } from '../webhooks/classify-delivery.js';
import type { Forge } from '../forge/forge.js';
import type { Tracker } from '../tracker/tracker.js';
import { GithubClient } from './github-client.js';
import { GithubForge } from './github-forge.js';
import { githubRepoForge } from './github-repo-forge.js';
import { GithubTracker } from './github-tracker.js';

export interface GithubParts {
  client: GithubClient;
  /** A project's tracker: its repository's issues carrying its label. */
  tracker(config: GithubTrackerConfig): Tracker;
  /** A project's forge: its repository's pull requests, with its merge method. */
  forge(config: GithubForgeConfig): Forge;
  /** Removes the git credentials the forges registered (src/git/git-auth.ts). */
  close(): void;
}

/**
 * The GitHub tracker and forge of every project that uses GitHub, over ONE client: one App
 * installation-token cache and one view of the rate limit for the whole process. Null when the
 * environment gives no GitHub credentials (build-projects then refuses a GitHub project).
 */
export function githubParts(
  settings: IntegrationSettings['github'],
  o: { clock: Clock; log: Logger; gitUrl?: string | undefined },
): GithubParts | null {
  if (!settings) return null;
  const log = o.log.child({ integration: 'github' });
  const client = new GithubClient({
    apiUrl: settings.apiUrl,
    auth: settings.auth,
    clock: o.clock,
    log,
  });
  // An App acts as `<slug>[bot]`; ORCH_GITHUB_BOT_LOGIN may name the slug alone.
  const given = settings.botLogin;
  const botLogin =
    given !== undefined && settings.auth.kind === 'app' && !given.endsWith('[bot]')
      ? `${given}[bot]`
      : given;
  const forges: GithubForge[] = [];
  return {
    client,
    tracker: (c) =>
      new GithubTracker({
        client,
        label: c.label,
        botLogin,
        ...(c.assignee !== undefined && { assignee: c.assignee }),
      }),
    forge: (c) => {
      const forge = new GithubForge({
        client,
        mergeMethod: c.mergeMethod,
        botLogin,
        gitUrl: o.gitUrl,
        log,
      });
      forges.push(forge);
      return githubRepoForge(forge, c.repo);
    },
    close: () => {
      for (const f of forges) f.close();
    },
  };
}

/**
 * Without ORCH_GITHUB_BOT_LOGIN, asks GitHub who Orch is (`GET /user`, or `<slug>[bot]` for an
 * App) and fills it into the webhook intake's bot identity, so Orch's own comments and pushes
 * are ignored from then on. Best effort, off the start-up path: a failure is a warning (set the
 * variable to be independent of it).
 */
export function learnGithubBotLogin(
  parts: GithubParts | null,
  bot: BotIdentity,
  log: Logger,
): void {
  if (!parts || bot.githubLogin !== undefined) return;
  parts.client
    .botLogin()
    .then((login) => {
      if (login !== '' && login !== '[bot]') bot.githubLogin = login;
    })
    .catch((err: unknown) => {
      log.warn({ err }, 'GitHub: could not learn the bot login; set ORCH_GITHUB_BOT_LOGIN');
    });
}
