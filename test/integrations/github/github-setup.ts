import { generateKeyPairSync } from 'node:crypto';
import {
  GithubClient,
  type GithubClientOptions,
} from '../../../src/integrations/github/github-client.js';
import type { GithubStub } from '../../helpers/stubs/github-stub.js';

/** One call as Orch's GitHub client saw it: request and reply (for the OpenAPI checks). */
export interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

/** A fetch that records every exchange (replies are cloned, the client still reads them). */
export function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input : input.url,
    );
    const res = await fetch(input, init);
    const text = await res.clone().text();
    let responseBody: unknown = null;
    try {
      responseBody = text === '' ? null : JSON.parse(text);
    } catch {
      responseBody = null;
    }
    log.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      requestBody: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      status: res.status,
      responseBody,
    });
    return res;
  };
}

let keys: { privateKeyPem: string; publicKeyPem: string } | null = null;

/** An RSA key pair for a test GitHub App (PKCS#1, as GitHub hands out), made once per file. */
export function appKeys(): { privateKeyPem: string; publicKeyPem: string } {
  keys ??= (() => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  })();
  return keys;
}

/** A client with the stub's PAT, no waiting on rate limits. */
export function tokenClient(
  stub: GithubStub,
  extra: Partial<GithubClientOptions> = {},
): GithubClient {
  return new GithubClient({
    apiUrl: stub.url,
    auth: { kind: 'token', token: stub.token },
    sleep: () => Promise.resolve(),
    ...extra,
  });
}
