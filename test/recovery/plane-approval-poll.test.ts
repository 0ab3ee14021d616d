import { expect, it } from 'vitest';
import { PlaneClient } from '../../src/integrations/plane/plane-client.js';
import { silentLogger } from '../../src/log.js';
import { pollComments } from '../../src/recovery/comment-poller.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { PlaneStub } from '../helpers/stubs/plane-stub.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { PLANE_PROJECT_ID, TEST_PROJECTS } from '../integrations/intake-setup.js';

describeEachDialect('polled Plane approvals', ({ current }) => {
  it('accepts a polled :approved: from an approver listed by email (comments read with expand=actor)', async () => {
    const env = await pipelineEnv(current().db);
    const plane = await new PlaneStub().start();
    try {
      const states = plane.addProject(PLANE_PROJECT_ID);
      const { task } = await env.newItem();
      await env.agent(task.id, 'analyst', ANALYSIS(env));
      // The task's work item lives in Plane; its approver is listed by email only.
      const itemId = plane.addItem({
        projectId: PLANE_PROJECT_ID,
        name: task.title,
        descriptionHtml: '',
        stateId: states[3]!.id,
        labels: [],
      }).id;
      await current().db.run(
        "update tasks set tracker_kind = 'plane', tracker_project_id = $2, tracker_item_id = $3 where id = $1",
        [task.id, PLANE_PROJECT_ID, itemId],
      );
      env.project.tracker = new PlaneClient({
        baseUrl: plane.url,
        apiToken: plane.apiKey,
        clock: env.clock,
        projects: TEST_PROJECTS,
        botUserId: plane.userId,
      });
      env.project.trackerProjectId = PLANE_PROJECT_ID;
      env.project.approvers = ['Ann.Lee@example.com'];
      const ann = plane.addUser(PLANE_PROJECT_ID, {
        display_name: 'annl',
        email: 'ann.lee@example.com',
      });
      const waiting = await env.task(task.id);
      expect(waiting.state).toBe('awaiting_approval');
      env.clock.advance(120_000);
      plane.addHumanComment(
        itemId,
        ann.id,
        'Looks good :approved:',
        new Date(env.clock.now() - 90_000).toISOString(),
      );

      const applied = await pollComments({
        db: current().db,
        pipeline: env.pipeline,
        log: silentLogger,
        task: waiting,
        nowMs: env.clock.now(),
        graceMs: 60_000,
        staleClaimMs: 600_000,
      });
      expect(applied).toMatchObject([{ intent: 'approval', result: 'advanced' }]);
      expect(await env.task(task.id)).toMatchObject({ stage: 'architecture', state: 'active' });
      const list = plane.requestsTo('GET', /\/comments\/$/);
      expect(list[0]!.query.get('expand')).toBe('actor');
    } finally {
      await plane.close();
    }
  });
});
