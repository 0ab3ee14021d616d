/**
 * Pure: the URL that logs a browser on this machine in once (`GET /login?code=`), from the
 * address `listen` returned. A wildcard bind is reached through the loopback address.
 */
export function loginUrl(address: string, code: string): string {
  const url = new URL(address);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  url.pathname = '/login';
  url.search = `?code=${encodeURIComponent(code)}`;
  return url.toString();
}
