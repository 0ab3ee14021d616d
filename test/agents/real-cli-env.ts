import { homedir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The pinned real agent CLIs (devDependencies `@anthropic-ai/claude-code` 2.1.197 and
 * `@openai/codex` 0.171.0) and the environment that points them at loopback model-API stubs.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLAUDE_BIN = join(ROOT, 'node_modules', '.bin', 'claude');
export const CODEX_BIN = join(ROOT, 'node_modules', '.bin', 'codex');
export const haveClaude = existsSync(CLAUDE_BIN);
export const haveCodex = existsSync(CODEX_BIN);

/** Claude Code against an Anthropic stub: API key auth, no telemetry, updater or side traffic. */
export function claudeEnv(stubUrl: string, home: string): Record<string, string> {
  return {
    HOME: home,
    ANTHROPIC_BASE_URL: stubUrl,
    ANTHROPIC_API_KEY: 'sk-ant-conformance',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

/** The provider id the Codex config below defines (the profile's `provider`). */
export const CODEX_PROVIDER = 'stub';

/**
 * A CODEX_HOME whose config.toml defines a Responses-API provider on the stub. It lives under
 * ~/.cache, not the temp dir (nor a checkout that may itself sit under /tmp, as CI's clone can):
 * codex 0.171 refuses to create its sandbox helper links under a temporary directory, and then
 * every sandboxed command fails ("bwrap: execvp codex-linux-sandbox: No such file or directory").
 */
export function makeCodexHome(stubUrl: string): { home: string; cleanup: () => void } {
  const base = join(homedir(), '.cache', 'orch-conformance');
  mkdirSync(base, { recursive: true });
  const home = mkdtempSync(join(base, 'codex-home-'));
  writeFileSync(
    join(home, 'config.toml'),
    [
      'model = "gpt-stub"',
      `[model_providers.${CODEX_PROVIDER}]`,
      'name = "Responses stub"',
      `base_url = "${stubUrl}/v1"`,
      'env_key = "STUB_OPENAI_API_KEY"',
      'wire_api = "responses"',
      '',
    ].join('\n'),
  );
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export function codexEnv(home: string): Record<string, string> {
  return { HOME: home, CODEX_HOME: home, STUB_OPENAI_API_KEY: 'sk-conformance' };
}
