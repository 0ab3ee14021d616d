import pino from 'pino';
import { prettyLogStream } from './pretty-log-stream.js';

/** Fields that may carry secrets are censored wherever they appear in a log object. */
const REDACT = [
  'token',
  'leaseToken',
  'password',
  'secret',
  'authorization',
  '*.token',
  '*.leaseToken',
  '*.password',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export type Logger = pino.Logger;

/** Query keys whose values never reach a log line (`?token=…`, `?api_key=…`, `?sig=…`). */
const AUTH_KEY = /token|key|secret|passw|pwd|sig|auth|code|session|cookie|credential/i;

/** Pure: a request URL with the values of auth-like query keys replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      let name = key;
      try {
        name = decodeURIComponent(key);
      } catch {
        // a malformed escape: judge the raw key
      }
      return eq !== -1 && AUTH_KEY.test(name) ? `${key}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** Fastify's request serializer, with auth-like query values redacted. */
const serializers = {
  req: (req: { method?: string; url?: string; host?: string; ip?: string }) => ({
    method: req.method,
    url: redactUrl(req.url ?? ''),
    host: req.host,
    remoteAddress: req.ip,
  }),
};

/** `ORCH_LOG_FORMAT`: `auto` = `pretty` when the destination is a terminal, else `json`. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A pino destination; `isTTY` (as on `process.stderr`) decides the `auto` format. */
export type LogDestination = pino.DestinationStream & { isTTY?: boolean };

/** Pure: the format actually written — `auto` resolves to `pretty` on a terminal only. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTTY ? 'pretty' : 'json') : format;
}

export interface LoggerOptions {
  /** Default `auto`. */
  format?: LogFormat;
  /** Default stderr. */
  destination?: LogDestination;
}

/**
 * Logs go to stderr so that `--json` output on stdout stays machine-readable. JSON lines, or
 * (`pretty`) one human-readable line per record, formatted after pino has serialised and
 * redacted it.
 */
export function createLogger(level: string = 'info', options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination(2);
  const isTTY = options.destination ? options.destination.isTTY === true : process.stderr.isTTY;
  const stream =
    resolveLogFormat(options.format ?? 'auto', isTTY) === 'pretty'
      ? prettyLogStream(destination)
      : destination;
  return pino({ level, serializers, redact: { paths: REDACT, censor: '[redacted]' } }, stream);
}

export const silentLogger: Logger = pino({ level: 'silent', serializers });
