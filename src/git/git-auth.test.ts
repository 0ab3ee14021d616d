import { afterEach, describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  gitAuthEnv,
  gitUrlPrefix,
  isGitNetworkCommand,
  refreshGitCredentials,
  registerGitCredential,
} from './git-auth.js';

describe('git credentials in the environment', () => {
  const undo: (() => void)[] = [];
  afterEach(() => {
    for (const u of undo.splice(0)) u();
  });

  it('normalizes a prefix to scheme://host/path/ as git matches http.<url>.*', () => {
    expect(gitUrlPrefix('https://github.com/acme')).toBe('https://github.com/acme/');
    expect(gitUrlPrefix('https://ghe.example:8443/acme//')).toBe('https://ghe.example:8443/acme/');
  });

  it('only network commands get credentials', () => {
    for (const c of ['clone', 'fetch', 'pull', 'push', 'ls-remote'])
      expect(isGitNetworkCommand([c])).toBe(true);
    for (const c of ['commit', 'rev-parse', 'worktree', 'show', 'config'])
      expect(isGitNetworkCommand([c])).toBe(false);
  });

  it('builds GIT_CONFIG_* with one extraHeader per prefix and no hooks; nothing without a token', async () => {
    expect(gitAuthEnv()).toEqual({});
    let token: string | null = null;
    undo.push(
      registerGitCredential('https://github.com/acme/', {
        username: 'x-access-token',
        token: () => token,
        refresh: () => {
          token = 'ghs_fresh';
          return Promise.resolve();
        },
      }),
      registerGitCredential('https://ghe.example/other', {
        username: 'x-access-token',
        token: () => 'ghp_other',
        refresh: () => Promise.reject(new Error('GitHub down')),
      }),
    );
    expect(gitAuthEnv()).toMatchObject({ GIT_CONFIG_COUNT: '2' });
    await refreshGitCredentials(); // a failed refresh keeps the old token
    expect(gitAuthEnv()).toEqual({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'http.https://github.com/acme/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: ${basicAuthorization('x-access-token', 'ghs_fresh')}`,
      GIT_CONFIG_KEY_1: 'http.https://ghe.example/other/.extraHeader',
      GIT_CONFIG_VALUE_1: `Authorization: ${basicAuthorization('x-access-token', 'ghp_other')}`,
      GIT_CONFIG_KEY_2: 'core.hooksPath',
      GIT_CONFIG_VALUE_2: '/dev/null',
    });
    expect(basicAuthorization('x-access-token', 'ghs_fresh')).toBe(
      `Basic ${Buffer.from('x-access-token:ghs_fresh').toString('base64')}`,
    );
    for (const u of undo.splice(0)) u();
    expect(gitAuthEnv()).toEqual({});
  });
});
