import { describe, expect, it } from 'vitest';
import { allowedHostsFor, hostAllowed, hostName, originAllowed } from './allowed-hosts.js';
import { loginUrl } from './login-url.js';

describe('allowed hosts', () => {
  it('reads host names from Host values with ports and IPv6 brackets', () => {
    expect(hostName('Orch.Example.com:8500')).toBe('orch.example.com');
    expect(hostName('[::1]:8500')).toBe('::1');
    expect(hostName('127.0.0.1')).toBe('127.0.0.1');
    expect(hostName('fe80::1')).toBe('fe80::1');
  });

  it('allows loopback and the bind address by default, exactly the list when configured', () => {
    const byDefault = allowedHostsFor({ ORCH_HOST: '10.0.0.5' });
    expect(byDefault).toEqual(['localhost', '127.0.0.1', '::1', '10.0.0.5']);
    expect(
      allowedHostsFor({ ORCH_HOST: '127.0.0.1', ORCH_ALLOWED_HOSTS: 'a.example:80, B.example' }),
    ).toEqual(['a.example', 'b.example']);
    expect(allowedHostsFor({ ORCH_HOST: '0.0.0.0' })).toEqual(
      expect.arrayContaining(['localhost', '127.0.0.1']),
    );
  });

  it('refuses a missing or foreign Host and a foreign or malformed Origin; * allows any', () => {
    const hosts = ['localhost', '127.0.0.1'];
    expect(hostAllowed('localhost:8500', hosts)).toBe(true);
    expect(hostAllowed(undefined, hosts)).toBe(false);
    expect(hostAllowed('evil.example', hosts)).toBe(false);
    expect(hostAllowed('evil.example', ['*'])).toBe(true);
    expect(originAllowed(undefined, hosts)).toBe(true);
    expect(originAllowed('http://127.0.0.1:8500', hosts)).toBe(true);
    expect(originAllowed('http://evil.example', hosts)).toBe(false);
    expect(originAllowed('null', hosts)).toBe(false);
  });

  it('builds the printed login URL on loopback for a wildcard bind', () => {
    expect(loginUrl('http://0.0.0.0:8500', 'c0de')).toBe('http://127.0.0.1:8500/login?code=c0de');
    expect(loginUrl('http://127.0.0.1:41234', 'a-b')).toBe('http://127.0.0.1:41234/login?code=a-b');
  });
});
