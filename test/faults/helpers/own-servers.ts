// A Temporal dev server and a PostgreSQL server of the fault file's own, on ports from the
// OS, so that restarting them disturbs no other test file. Each restarts on the same port
// and state (SQLite file, data directory), as after a crash or a deploy.
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { withDatabase } from '../../../db/database-url';
import { startEmbeddedPostgres, type RunningPostgres } from '../../../db/embedded-postgres';
import { findTemporalBinary, freePort, startTemporalDevServer, type RunningTemporal } from '../../../temporal/dev-server';

export interface RestartableServer {
  /** Stops the server, waits `outageMs`, starts it again on the same port and state. */
  restart(outageMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A dev server that starts while another is busy starting can fail with connection
// resets (ENVIRONMENT.md): try again rather than fail the file.
async function withRetries<T>(what: string, start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= 3) throw new Error(`${what} did not start after ${attempt} attempts: ${(error as Error).message}`);
      await sleep(1000 * attempt);
    }
  }
}

export async function startOwnTemporal(dir: string): Promise<RestartableServer & { address: string }> {
  const binary = findTemporalBinary();
  if (!binary) throw new Error('No `temporal` binary found: run `npm test` (it builds one) or set TEMPORAL_CLI_PATH');
  const options = { binary, dbFile: path.join(dir, 'temporal.sqlite'), port: await freePort() };
  let server: RunningTemporal = await withRetries('temporal dev server', () => startTemporalDevServer(options));
  return {
    address: server.address,
    async restart(outageMs) {
      await server.stop();
      await sleep(outageMs);
      server = await withRetries('temporal dev server', () => startTemporalDevServer(options));
    },
    stop: () => server.stop(),
  };
}

export async function startOwnPostgres(dir: string): Promise<RestartableServer & { adminUrl: string }> {
  // As root the server runs as `postgres`, which must be able to reach its data directory.
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const port = await freePort();
  const log = (line: string) => console.log(line);
  let server: RunningPostgres = await withRetries('postgres', () => startEmbeddedPostgres(dir, port, log));
  return {
    adminUrl: withDatabase(server.url, 'postgres'),
    async restart(outageMs) {
      await server.stop();
      await sleep(outageMs);
      server = await withRetries('postgres', () => startEmbeddedPostgres(dir, port, log));
    },
    stop: () => server.stop(),
  };
}
