import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/integrations/webhooks/signature.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { giteaDelivery, planeDelivery } from '../helpers/stubs/webhook-deliveries.js';
import { GITEA_SECRET, PLANE_SECRET, makeIntake } from './intake-setup.js';

const ROOT = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.(json|txt)$/.test(name) ? [path] : [];
  });
}

/** The X-Gitea-Event a real Gitea sends for the fixture (see the fixtures' MANIFEST files). */
function giteaEventFor(file: string): string {
  const name = file.split('/').pop()!;
  if (/Review(Ack)|review_approved/.test(name)) return 'pull_request_approved';
  if (/ReviewDeny/.test(name)) return 'pull_request_rejected';
  if (/comment/.test(name)) return 'issue_comment';
  if (/^(pull_request|HookPullRequest)/.test(name)) return 'pull_request';
  if (/push|Push/.test(name)) return 'push';
  if (/^issues_/.test(name)) return 'issues';
  if (/create/.test(name)) return 'create';
  if (/delete/.test(name)) return 'delete';
  return name.replace(/\.json$/, '');
}

describeEachDialect('webhook intake over every shared fixture', ({ current }) => {
  it('routes every Gitea fixture file, signed over its raw bytes, without error', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const files = filesUnder(join(ROOT, 'gitea'));
    expect(files.length).toBeGreaterThanOrEqual(25);
    const outcomes: Record<string, string> = {};
    for (const file of files) {
      const raw = readFileSync(file);
      const d = giteaDelivery(raw, { secret: GITEA_SECRET, event: giteaEventFor(file) });
      const result = await intake.receive({ source: 'gitea', ...d });
      expect(result.kind, file).not.toBe('rejected');
      outcomes[file.slice(ROOT.length)] =
        result.kind === 'ignored' ? `ignored:${result.reason}` : result.kind;
    }
    expect(outcomes['gitea/woodpecker/HookPullRequestMerged.json']).toBe('accepted');
    expect(outcomes['gitea/woodpecker/HookPullRequestReviewDeny.json']).toBe('accepted');
    expect(outcomes['gitea/go-scm/push.json']).toBe('accepted');
    expect(outcomes['gitea/go-scm/release.json']).toBe('ignored:unsupported_event');
  });

  it('routes every Plane fixture file; the invalid-JSON doc fragments are a clean 400', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const files = filesUnder(join(ROOT, 'plane'));
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const file of files) {
      const raw = readFileSync(file);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        parsed = undefined;
      }
      // Plane signs Python json.dumps bytes: send the fixture re-encoded that way when it parses.
      const d =
        parsed !== undefined &&
        typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed)
          ? planeDelivery(parsed as Record<string, unknown>, { secret: PLANE_SECRET })
          : { ...planeDelivery({}, { secret: PLANE_SECRET }), rawBody: raw };
      if (parsed === undefined) {
        d.headers['x-plane-signature'] = hmacSha256Hex(PLANE_SECRET, raw);
      }
      const result = await intake.receive({ source: 'plane', ...d });
      if (parsed === undefined)
        expect(result, file).toMatchObject({ kind: 'rejected', code: 'INVALID_JSON' });
      else expect(['accepted', 'ignored', 'duplicate'], file).toContain(result.kind);
    }
  });
});
