// Temporal's logs (the SDK's own, the Rust core's, and every `log` call in workflow and
// activity code, which carry namespace, task queue, workflow id and run id) go to the
// service's pino logger, so one file or stream has the API's and the worker's lines.
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { serviceLog } from '../services/logging';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Temporal's Logger interface over the service logger (looked up per call, so reconfiguring takes effect). */
export function temporalLogger(): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const { error, ...rest } = meta ?? {};
    serviceLog()[PINO_LEVEL[level]]({ ...rest, ...(error === undefined ? {} : { err: error }) }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** Once per process, before any connection or worker is made (the SDK installs a default otherwise). */
export function installTemporalLogging(options: { ownShutdown?: boolean } = {}): void {
  // ownShutdown: the caller's own Ctrl-C handler stops the API, then the worker, then the
  // connections, in that order; the SDK's (for a bare worker) would start draining at once.
  Runtime.install({ logger: temporalLogger(), ...(options.ownShutdown ? { shutdownSignals: [] } : {}) });
}
