import pino from 'pino';

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

/** Logs go to stderr so that `--json` output on stdout stays machine-readable. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
