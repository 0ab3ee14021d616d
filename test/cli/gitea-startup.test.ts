import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { giteaStartupProblems } from '../../src/cli/doctor-checks.js';
import { parseProjects } from '../../src/config/projects.js';
import { GiteaClient } from '../../src/integrations/gitea/gitea-client.js';
import { GiteaStub } from '../helpers/stubs/gitea-stub.js';

const projects = parseProjects([
  { key: 'ET', repo: 'et-app', forge: { kind: 'gitea', owner: 'gordon', repo: 'hello-world' } },
  { key: 'WP', repo: 'woodpecker', forge: { kind: 'gitea', owner: 'acme', repo: 'gone' } },
]);

describe("serve's start-up look at Gitea repositories", () => {
  let stub: GiteaStub;
  beforeEach(async () => {
    stub = await new GiteaStub().start();
    stub.addRepo('gordon/hello-world');
  });
  afterEach(() => stub.close());

  const client = (token = stub.token) => new GiteaClient({ baseUrl: stub.url, token, projects });

  it('names the repository Gitea does not show, and only that one', async () => {
    const problems = await giteaStartupProblems(client(), projects.projects);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('acme/gone');
  });

  it('says when Gitea is not configured for a Gitea project', async () => {
    const problems = await giteaStartupProblems(null, projects.projects);
    expect(problems.join('\n')).toMatch(/ORCH_GITEA_URL/);
  });

  it('reports a token Gitea refuses', async () => {
    const problems = await giteaStartupProblems(client('wrong-token'), projects.projects);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Gitea: /);
  });

  it('has nothing to say without Gitea projects', async () => {
    const local = parseProjects([{ key: 'AP', repo: 'app', forge: { kind: 'local' } }]);
    expect(await giteaStartupProblems(null, local.projects)).toEqual([]);
  });
});
