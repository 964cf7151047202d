// Structured JSON logs (pino) for the API, the services and the worker, one object a line,
// so an incident can be followed by request id, key id, project, flywheel run, workflow
// and trace. Secrets never reach a line: known fields are censored by pino's `redact`, and
// every line is scrubbed of anything shaped like an API key, a bearer token, a provider key,
// a configured secret or a database password before it is written.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Field paths whose values are secrets wherever they appear (one level of nesting). */
const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'plain',
  '*.plain',
  'password',
  '*.password',
  // Temporal's activity log attributes include the task token, which can complete the activity.
  'taskToken',
  '*.taskToken',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'FLYWHEEL_ADMIN_KEY',
];

const SECRET_ENV = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'FLYWHEEL_ADMIN_KEY', 'TEMPORAL_API_KEY'];

/** Shapes of secrets, for values that reach a message or an error rather than a known field. */
const SECRET_SHAPES: [RegExp, string][] = [
  [/efw_[A-Za-z0-9_-]{8,}/g, 'efw_[REDACTED]'],
  [/(Bearer\s+)[^\s"\\]+/gi, '$1[REDACTED]'],
  [/\bsk-[A-Za-z0-9_-]{12,}/g, 'sk-[REDACTED]'],
  // The password of a connection URL (postgresql://user:password@host).
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"\\]+:)[^@\s"\\]+@/gi, '$1[REDACTED]@'],
];

/** Every line as pino wrote it, with secrets replaced; the replacements keep the line valid JSON. */
export function scrubSecrets(line: string, literals: readonly string[] = secretLiterals()): string {
  let out = line;
  for (const literal of literals) out = out.split(literal).join('[REDACTED]');
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

function secretLiterals(): string[] {
  // As they appear inside a JSON string (quotes and backslashes escaped).
  return SECRET_ENV.map((name) => process.env[name]).filter((v): v is string => typeof v === 'string' && v.length >= 8).map((v) => JSON.stringify(v).slice(1, -1));
}

interface LoggingOptions {
  /** pino level; default LOG_LEVEL, else info. */
  level?: string;
  /** 'stderr', a file path (its folder is created), or a stream (tests). Default LOG_FILE, else stderr. */
  destination?: string | DestinationStream;
}

function parseLevel(level: string | undefined): LevelWithSilent {
  const wanted = (level ?? 'info').trim().toLowerCase();
  if (!LOG_LEVELS.includes(wanted as LevelWithSilent)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  return wanted as LevelWithSilent;
}

function openDestination(destination: string | DestinationStream): DestinationStream {
  if (typeof destination !== 'string') return destination;
  if (destination === 'stderr' || destination === '-') return pino.destination({ fd: 2, sync: true });
  mkdirSync(path.dirname(path.resolve(destination)), { recursive: true });
  return pino.destination({ dest: destination, sync: true, append: true });
}

function createLogger(options: LoggingOptions): Logger {
  const literals = secretLiterals();
  return pino(
    {
      level: parseLevel(options.level ?? process.env.LOG_LEVEL),
      base: { service: 'eval-flywheel', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      hooks: { streamWrite: (line) => scrubSecrets(line, literals) },
    },
    openDestination(options.destination ?? process.env.LOG_FILE ?? 'stderr'),
  );
}

let root: Logger | undefined;

/** Sets where and at what level the process logs; call before serving (the CLI, a bench, a test). */
export function configureLogging(options: LoggingOptions = {}): Logger {
  root = createLogger(options);
  return root;
}

/** The process's logger (from LOG_LEVEL and LOG_FILE unless configureLogging was called). */
export function serviceLog(): Logger {
  root ??= createLogger({});
  return root;
}
