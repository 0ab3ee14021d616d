import { ManualClock } from '../../src/clock.js';
import { parseProjects } from '../../src/config/projects.js';
import { silentLogger } from '../../src/log.js';
import type { Db } from '../../src/store/db.js';
import {
  WebhookIntake,
  type WebhookIntakeOptions,
} from '../../src/integrations/webhooks/webhook-intake.js';
import { makeQueue } from '../helpers/queue.js';

export const PLANE_PROJECT_ID = '59e3be42-87ec-4950-99a3-ae639cf2b089';
export const PLANE_SECRET = 'plane_wh_00112233445566778899aabbccddeeff';
export const GITEA_SECRET = 'gitea-secret';
export const PLANE_BOT_ID = 'b0b0b0b0-0000-4000-8000-000000000001';
export const GITEA_BOT = 'orch-bot';

export const TEST_PROJECTS = parseProjects([
  {
    key: 'ET',
    repo: 'et-app',
    tracker: {
      kind: 'plane',
      workspace: 'acme',
      projectId: PLANE_PROJECT_ID,
      states: {
        in_progress: 'In Progress',
        in_review: 'In Review',
        needs_input: 'Needs Input',
        blocked: 'Blocked',
        done: 'Done',
      },
      approvers: ['ann'],
    },
    forge: { kind: 'gitea', owner: 'gordon', repo: 'hello-world' },
  },
  {
    key: 'WP',
    repo: 'woodpecker',
    forge: { kind: 'gitea', owner: 'a_nice_user', repo: 'hello_world_ci' },
  },
  { key: 'AN', repo: 'anbraten', forge: { kind: 'gitea', owner: 'anbraten', repo: 'test-repo' } },
  { key: 'JC', repo: 'jcitizen', forge: { kind: 'gitea', owner: 'jcitizen', repo: 'my-repo' } },
  { key: 'GS', repo: 'gogits', forge: { kind: 'gitea', owner: 'gogits', repo: 'hello-world' } },
]);

export function makeIntake(db: Db, overrides: Partial<WebhookIntakeOptions> = {}) {
  const clock = new ManualClock();
  const { queue } = makeQueue(db, clock);
  const intake = new WebhookIntake({
    queue,
    clock,
    log: silentLogger,
    projects: TEST_PROJECTS,
    secrets: { plane: PLANE_SECRET, gitea: GITEA_SECRET },
    bot: { planeUserId: PLANE_BOT_ID, giteaUsername: GITEA_BOT },
    ...overrides,
  });
  return { clock, queue, intake };
}

export async function countRows(db: Db, table: 'jobs' | 'webhook_inbox'): Promise<number> {
  const row = await db.get<{ n: number | string }>(`select count(*) as n from ${table}`);
  return Number(row?.n ?? 0);
}
