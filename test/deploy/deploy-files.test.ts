import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildCli } from '../../src/cli/cli.js';
import { envSchema } from '../../src/config/env.js';

// The container and systemd files cannot be run here (no Docker engine, no systemd as PID 1):
// these static checks catch drift between them and the code they start.
const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const DOCKERFILE = read('Dockerfile');
const COMPOSE = read('compose.yaml');
const UNIT = read('deploy/orch.service');

/** Dockerfile instructions of the final stage, backslash continuations joined. */
function finalStage(dockerfile: string): { op: string; args: string }[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const lines = joined.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const stage = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));
  return stage.map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l.trim());
    return { op: (m?.[1] ?? '').toUpperCase(), args: (m?.[2] ?? '').trim() };
  });
}

const instruction = (op: string) => finalStage(DOCKERFILE).filter((i) => i.op === op);
const commandNames = () => buildCli().commands.map((c) => c.name());

interface Compose {
  services: Record<
    string,
    { image?: string; env_file?: string | string[]; environment?: Record<string, unknown> }
  >;
}

describe('service files', () => {
  it('name only ORCH_ variables the env schema has (Dockerfile, compose.yaml, orch.service)', () => {
    const unknown = [DOCKERFILE, COMPOSE, UNIT]
      .flatMap((text) => [...text.matchAll(/\bORCH_[A-Z0-9_]+\b/g)].map((m) => m[0]))
      .filter((name) => !(name in envSchema.shape));
    expect(unknown).toEqual([]);
  });

  it('Dockerfile: non-root USER, OCI revision label from ARG REVISION, /health check, real CMD', () => {
    const users = instruction('USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(instruction('ARG').map((i) => i.args.split('=')[0])).toContain('REVISION');
    expect(
      instruction('LABEL')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/org\.opencontainers\.image\.revision=\$\{?REVISION\}?(\s|$)/);
    expect(
      instruction('HEALTHCHECK')
        .map((i) => i.args)
        .join(' '),
    ).toContain('/health');
    const cmd = JSON.parse(instruction('CMD').at(-1)?.args ?? '[]') as string[];
    expect(cmd[0]).toBe('orch');
    expect(commandNames()).toContain(cmd[1]);
    expect(instruction('FROM').at(-1)?.args).toMatch(/^node:20-slim\b/);
  });

  it('Dockerfile: the exposed port and volume are the ones its ENV gives Orch', () => {
    const env = instruction('ENV')
      .map((i) => i.args)
      .join(' ');
    const port = /ORCH_PORT=(\d+)/.exec(env)?.[1];
    const dataDir = /ORCH_DATA_DIR=(\S+)/.exec(env)?.[1];
    expect(instruction('EXPOSE').map((i) => i.args)).toEqual([port]);
    expect(instruction('VOLUME').map((i) => i.args)).toEqual([dataDir]);
    expect(env).toContain(`ORCH_DB_URL=sqlite:${dataDir}/`);
  });

  it('compose.yaml: PostgreSQL 15, and Orch on it with the .env file', () => {
    const compose = parseYaml(COMPOSE) as Compose;
    const services = Object.values(compose.services);
    expect(services.some((s) => /^postgres:15\b/.test(s.image ?? ''))).toBe(true);
    const orch = compose.services.orch;
    expect(orch?.env_file).toBe('.env');
    expect(String(orch?.environment?.ORCH_DB_URL)).toMatch(/^postgres:\/\//);
    expect(String(orch?.environment?.ORCH_HOST)).toBe('0.0.0.0');
  });

  it('deploy/orch.service: orch serve as User=orch, EnvironmentFile, Restart=on-failure', () => {
    const setting = (key: string) =>
      [...UNIT.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
    expect(setting('User')).toEqual(['orch']);
    expect(setting('EnvironmentFile')).toHaveLength(1);
    expect(setting('Restart')).toEqual(['on-failure']);
    const exec = setting('ExecStart')[0]?.split(/\s+/) ?? [];
    expect(exec[1]).toMatch(/bin\/orch\.js$/);
    expect(commandNames()).toContain(exec[2]);
    expect(UNIT).toMatch(/^#KillMode=process$/m);
  });
});
