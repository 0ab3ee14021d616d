import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChildProcess, runChildProcess, type ChildSpec } from '../../src/process/child-process.js';
import { processAlive, processGone } from '../helpers/processes.js';

/** Only PATH: enough for `sh`, and nothing else from the test process. */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function sh(script: string, extra: Partial<ChildSpec> = {}): ChildSpec {
  return {
    argv: ['sh', '-c', script],
    cwd: tmpdir(),
    env: ENV,
    output: { kind: 'capture', maxBytes: 1_000_000 },
    ...extra,
  };
}

describe('ChildProcess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orch-child-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the exit code and captures stdout and stderr separately', async () => {
    const r = await runChildProcess(sh('echo out; echo err >&2; exit 3'));
    expect(r).toMatchObject({
      exitCode: 3,
      signal: null,
      killReason: null,
      spawnError: null,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(r.pid).toBeGreaterThan(0);
  });

  it('reports the signal that ended the leader', async () => {
    const r = await runChildProcess(sh('kill -USR1 $$; sleep 5'));
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGUSR1', killReason: null });
  });

  it('knows the pid, which is also the process group id, as soon as it is constructed', async () => {
    const child = new ChildProcess(sh('ps -o pgid= -p $$'));
    const pid = child.pid;
    expect(pid).toBeGreaterThan(0);
    expect((await child.done).stdout.trim()).toBe(String(pid));
  });

  it('resolves when the leader exits although a background process holds its output pipe, and kills that process', async () => {
    const r = await runChildProcess(
      sh('sleep 1000 & echo $!; echo green', { output: { kind: 'tail', maxChars: 4000 } }),
    );
    expect(r).toMatchObject({ exitCode: 0, killReason: null });
    const [bgPid, word] = r.tail.trim().split('\n');
    expect(word).toBe('green');
    expect(await processGone(Number(bgPid))).toBe(true);
  });

  it('on timeout kills the whole group, grandchildren included, and records the reason', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const r = await runChildProcess(
      sh(`sh -c 'sleep 1000 & echo $! > ${pidFile}; wait' & wait`, { timeoutMs: 300 }),
    );
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM', killReason: 'timeout' });
    expect(await processGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('escalates to SIGKILL after the grace when the group ignores SIGTERM', async () => {
    const r = await runChildProcess(
      sh(`trap '' TERM; echo ready; while :; do sleep 0.05; done`, {
        timeoutMs: 300,
        killGraceMs: 200,
      }),
    );
    expect(r).toMatchObject({ signal: 'SIGKILL', killReason: 'timeout', stdout: 'ready\n' });
  });

  it('kill(reason) stops the group and keeps the first reason', async () => {
    const child = new ChildProcess<'stop' | 'cancel'>(sh('sleep 1000'));
    child.kill('cancel');
    child.kill('stop');
    expect(await child.done).toMatchObject({ signal: 'SIGTERM', killReason: 'cancel' });
  });

  it('passes exactly the given environment: a variable set in the parent is not seen', async () => {
    process.env.ORCH_CHILD_TEST_PARENT_ONLY = 'leaked';
    try {
      const r = await runChildProcess(
        sh('echo "${ORCH_CHILD_TEST_PARENT_ONLY-unset}:${GIVEN-unset}"', {
          env: { ...ENV, GIVEN: 'given' },
        }),
      );
      expect(r.stdout).toBe('unset:given\n');
    } finally {
      delete process.env.ORCH_CHILD_TEST_PARENT_ONLY;
    }
  });

  it('appends stdout and stderr to a file and feeds stdin when asked', async () => {
    const log = join(dir, 'run.log');
    writeFileSync(log, 'before\n');
    const r = await runChildProcess(
      sh('cat; echo err >&2', { output: { kind: 'file', path: log }, stdin: 'from stdin\n' }),
    );
    expect(r).toMatchObject({ exitCode: 0, stdout: '', tail: '' });
    expect(readFileSync(log, 'utf8')).toBe('before\nfrom stdin\nerr\n');
  });

  it('closes stdin unless input is given', async () => {
    const r = await runChildProcess(sh('cat; echo eof'));
    expect(r).toMatchObject({ exitCode: 0, stdout: 'eof\n' });
  });

  it('keeps only the tail of interleaved output', async () => {
    const r = await runChildProcess(
      sh('seq 1 2000; echo last >&2', { output: { kind: 'tail', maxChars: 10 } }),
    );
    expect(r.tail).toBe('2000\nlast\n');
  });

  it('inherit with a stderr tail passes stderr on whole and keeps its end; stdout is not kept', async () => {
    const passed: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      passed.push(String(chunk));
      return true;
    });
    try {
      const r = await runChildProcess(
        sh('echo to-stdout; seq 1 500 >&2; echo "fatal: no route" >&2; exit 4', {
          output: { kind: 'inherit', stderrTailChars: 24 },
        }),
      );
      expect(r).toMatchObject({ exitCode: 4, stdout: '', stderr: '' });
      expect(r.tail).toBe('499\n500\nfatal: no route\n');
      const seq = Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join('');
      expect(passed.join('')).toBe(`${seq}fatal: no route\n`);
    } finally {
      write.mockRestore();
    }
  });

  it('kills the group when captured output passes the cap', async () => {
    const r = await runChildProcess(
      sh('while :; do echo 0123456789; done', { output: { kind: 'capture', maxBytes: 10_000 } }),
    );
    expect(r.killReason).toBe('overflow');
    expect(r.stdout.length).toBeLessThanOrEqual(10_000);
  });

  it('reports a missing binary as a spawn error with no pid', async () => {
    const r = await runChildProcess({ ...sh(''), argv: ['no-such-binary-orch-test'] });
    expect(r).toMatchObject({ pid: null, exitCode: null, spawnError: { code: 'ENOENT' } });
  });

  it('reports an unopenable output file as a spawn error without starting anything', async () => {
    const child = new ChildProcess(
      sh('echo hi', { output: { kind: 'file', path: join(dir, 'missing', 'run.log') } }),
    );
    expect(child.pid).toBeNull();
    expect(await child.done).toMatchObject({ spawnError: { code: 'ENOENT' } });
  });

  it('does not signal anything once the leader has exited', async () => {
    const child = new ChildProcess<'stop'>(sh('exit 0'));
    const r = await child.done;
    child.kill('stop');
    expect(r.killReason).toBeNull();
    expect(processAlive(r.pid!)).toBe(false);
  });
});
