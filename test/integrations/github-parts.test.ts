import { expect, it } from 'vitest';
import { integrationSettings } from '../../src/config/integrations.js';
import { parseEnv } from '../../src/config/env.js';
import type { BotIdentity } from '../../src/integrations/webhooks/classify-delivery.js';
import { githubParts, learnGithubBotLogin } from '../../src/integrations/github/github-parts.js';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { GithubStub } from '../helpers/stubs/github-stub.js';

it("learns Orch's own GitHub login when ORCH_GITHUB_BOT_LOGIN is not set", async () => {
  const gh = await new GithubStub().start();
  try {
    const s = integrationSettings(
      parseEnv({ ORCH_GITHUB_TOKEN: gh.token, ORCH_GITHUB_API_URL: gh.url }),
    );
    const parts = githubParts(s.github, { clock: new ManualClock(), log: silentLogger });
    const bot: BotIdentity = {};
    learnGithubBotLogin(parts, bot, silentLogger);
    await expect.poll(() => bot.githubLogin).toBe('orch-bot');
    // A configured login is kept as it is, and nothing is asked.
    const before = gh.requests.length;
    const set: BotIdentity = { githubLogin: 'someone' };
    learnGithubBotLogin(parts, set, silentLogger);
    expect(set.githubLogin).toBe('someone');
    expect(gh.requests.length).toBe(before);
  } finally {
    await gh.close();
  }
});
