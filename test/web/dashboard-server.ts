import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo, SAMPLE_TEST_COMMAND } from '../../src/demo/sample-repo.js';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { silentLogger } from '../../src/log.js';
import { intake } from '../../src/pipeline/intake.js';
import type { Project } from '../../src/pipeline/project.js';
import { DEFAULT_PIPELINE } from '../../src/pipeline/stages.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

export const WEB_ADMIN_TOKEN = 'web-test-admin-token-0123456789';
export const AUTO_APPROVER = 'demo-approver';

type ProjectParts = Parameters<NonNullable<Parameters<typeof createRuntime>[0]['projects']>>[0];

/** A project of the dashboard tests beyond TRL/OPS: its approvers and scripted-agent scenario. */
export interface ExtraProject {
  key: string;
  approvers: string[];
  /** Approved by a tracker comment as soon as its analysis waits (like TRL). */
  autoApprove?: boolean;
  scenario?: Record<string, string>;
}

function project(
  key: string,
  parts: ProjectParts,
  approvers: string[],
  scenario?: Record<string, string>,
): Project {
  return {
    key,
    prefix: key,
    repo: 'trails',
    baseBranch: 'main',
    tracker: parts.tracker,
    trackerProjectId: key,
    forge: parts.forge,
    pipeline: DEFAULT_PIPELINE,
    testCommand: SAMPLE_TEST_COMMAND,
    testTimeoutMs: 60_000,
    approvers,
    maxDeveloperRetries: 3,
    ...(scenario && { scenario }),
  };
}

/**
 * `orch demo --serve` in-process, with two projects on the sample repo and the scripted agents
 * as real processes: TRL items are approved by a tracker comment (as the demo does), OPS items
 * wait for a human — the dashboard's approve button.
 */
export async function startDashboardServer(
  o: { extraProjects?: ExtraProject[]; env?: Record<string, string> } = {},
) {
  const extra = o.extraProjects ?? [];
  const workspace = mkdtempSync(join(tmpdir(), 'orch-web-'));
  const dataDir = join(workspace, '.orch');
  mkdirSync(join(dataDir, 'forge'), { recursive: true });
  const config = loadConfig(
    {
      ORCH_DATA_DIR: dataDir,
      ORCH_ADMIN_TOKEN: WEB_ADMIN_TOKEN,
      ORCH_MAX_CONCURRENCY: '3',
      ORCH_QUEUE_POLL_INTERVAL_MS: '100',
      ...o.env,
    },
    { dbUrl: `sqlite:${join(dataDir, 'orch.db')}` },
  );
  const rt = await createRuntime({
    config,
    configFile: parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } }),
    log: silentLogger,
    projects: (parts) => [
      project('TRL', parts, [AUTO_APPROVER]),
      project('OPS', parts, ['ops-lead']),
      ...extra.map((p) => project(p.key, parts, p.approvers, p.scenario)),
    ],
  });
  const seed = join(workspace, 'seed');
  mkdirSync(seed, { recursive: true });
  await createSampleRepo(seed);
  await rt.forge.importRepo('trails', seed);
  const app = serverForRuntime(rt);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  await rt.start();
  const approver = autoApprove(rt, [
    'TRL',
    ...extra.filter((p) => p.autoApprove).map((p) => p.key),
  ]);
  return {
    rt,
    url: `http://127.0.0.1:${port}`,
    /** The one-time login link `orch demo --serve` prints. */
    loginUrl: () => `http://127.0.0.1:${port}/login?code=${app.orchLoginCode()}`,
    fileItem: (key: string, title: string) => fileItem(rt, key, title),
    async stop() {
      approver.stop();
      await app.close();
      await rt.stop({ drainMs: 0 });
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

async function fileItem(rt: Runtime, key: string, title: string) {
  const description = `${title}, please.`;
  const item = await rt.tracker.createItem(key, { title, description });
  const { task } = await intake(
    rt.core,
    rt.workspace,
    rt.projects.get(key),
    { trackerItemId: item.ref.itemId, title, description },
    silentLogger,
  );
  return task;
}

/** The demo's human for one project: approves its analyses with a tracker comment. */
function autoApprove(rt: Runtime, projectKeys: string[]): { stop: () => void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    for (const t of await rt.tasks.list({ activeOnly: true })) {
      if (!projectKeys.includes(t.projectKey) || t.state !== 'awaiting_approval') continue;
      const body = 'Looks good :approved:';
      const approver = rt.projects.get(t.projectKey).approvers[0] ?? AUTO_APPROVER;
      await rt.tracker.addHumanComment(
        { projectId: t.trackerProjectId, itemId: t.trackerItemId },
        approver,
        body,
      );
      await rt.pipeline.onComment(t.id, { body, authorIds: [approver] });
    }
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(
      () =>
        void tick()
          .catch(() => undefined)
          .finally(loop),
      200,
    );
  };
  loop();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
