import { Command } from 'commander';
import { OrchError } from '../errors.js';
import {
  assertKnownRepo,
  freezeRepo,
  serialGateSnapshot,
  unfreezeRepo,
} from '../pipeline/serial-gate.js';
import { formatTime, printJson, printTable } from './output.js';
import { withCommon, withRuntime, type Common } from './task-command.js';

/**
 * `orch repo …`: the serial gate per repository (ORCH-088) — who holds it, who waits, and the
 * freeze that keeps it closed (`freeze` / `unfreeze`, the same as the admin HTTP routes) — and
 * the coverage ratchet's baseline (`coverage`, the same as `GET/POST /coverage/baseline`).
 */
export function repoCommand(): Command {
  const cmd = new Command('repo').description(
    'per repository: serial gate status, freeze, unfreeze; the coverage baseline',
  );
  withCommon(
    cmd
      .command('status')
      .description(
        'each repository with a serial gate, a freeze or waiting items: who holds it, who waits',
      ),
  ).action(async (o: Common) =>
    withRuntime(o, async (rt) => {
      const snap = await serialGateSnapshot(rt.serialGate, rt.db, rt.projects.all());
      if (o.json) return printJson(snap);
      if (!snap.enabled)
        process.stdout.write('serial gate: switched off (ORCH_SERIAL_GATE_ENABLED=false)\n');
      printTable(
        snap.repos.map((r) => ({
          repo: r.repo,
          limit: r.limit ?? '-',
          active: r.active.map((h) => `${h.workItemId} (${h.stage})`).join(', ') || '-',
          waiting: r.waiting.map((w) => w.workItemId).join(', ') || '-',
          frozen: r.frozen
            ? `since ${formatTime(r.frozen.frozenAtMs)} by ${r.frozen.frozenBy}: ${r.frozen.reason}`
            : '-',
        })),
        ['repo', 'limit', 'active', 'waiting', 'frozen'],
      );
    }),
  );
  withCommon(
    cmd
      .command('freeze <repo>')
      .description("keep the repository's gate closed: nothing new passes analysis until unfrozen")
      .option('--reason <text>', 'why (shown on waiting items)', 'frozen by hand')
      .option('--by <name>', 'who freezes it', 'operator'),
  ).action(async (repo: string, o: Common & { reason: string; by: string }) =>
    withRuntime(o, async (rt) => {
      const r = await freezeRepo(rt, repo, { reason: o.reason, by: o.by });
      if (o.json) return printJson(r);
      process.stdout.write(
        r.created
          ? `${repo}: frozen (${r.reason})\n`
          : `${repo}: already frozen by ${r.by} (${r.reason})\n`,
      );
    }),
  );
  withCommon(
    cmd
      .command('unfreeze <repo>')
      .description("clear the repository's freeze; its waiting items start in filing order")
      .option('--by <name>', 'who unfreezes it', 'operator'),
  ).action(async (repo: string, o: Common & { by: string }) =>
    withRuntime(o, async (rt) => {
      const r = await unfreezeRepo(rt, repo, o.by);
      if (o.json) return printJson(r);
      process.stdout.write(
        r.cleared > 0
          ? `${repo}: unfrozen; ${r.started} waiting item(s) started\n`
          : `${repo}: was not frozen; ${r.started} waiting item(s) started\n`,
      );
    }),
  );
  withCommon(
    cmd
      .command('coverage <repo>')
      .description("the repository's coverage baseline (the ratchet); --set overrides it")
      .option('--set <pct>', 'set the baseline to this percentage (0-100), up or down')
      .option('--by <name>', 'who sets it', 'operator'),
  ).action(async (repo: string, o: Common & { set?: string; by: string }) =>
    withRuntime(o, async (rt) => {
      if (o.set !== undefined) {
        assertKnownRepo(rt.projects.all(), repo);
        const pct = Number(o.set);
        if (o.set.trim() === '' || !Number.isFinite(pct) || pct < 0 || pct > 100)
          throw new OrchError('USAGE', `--set must be a percentage from 0 to 100, got "${o.set}"`);
        await rt.coverage.setBaseline(repo, pct, o.by, rt.clock.now());
      }
      const b = await rt.coverage.baseline(repo);
      if (o.json)
        return printJson({
          repo,
          baseline: b && {
            pct: b.pct,
            set_by: b.setBy,
            updated_at: new Date(b.updatedAtMs).toISOString(),
          },
        });
      process.stdout.write(
        b
          ? `${repo}: coverage baseline ${b.pct}% (set by ${b.setBy}, ${formatTime(b.updatedAtMs)})\n`
          : `${repo}: no coverage baseline yet (set by the first item done with a coverage report)\n`,
      );
    }),
  );
  return cmd;
}
