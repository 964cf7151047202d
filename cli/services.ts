// Brings up everything the service needs: database, Temporal, worker, API. Each piece is
// either the one configured (DATABASE_URL, TEMPORAL_ADDRESS) or an embedded default.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApiServer } from '../api/server';
import type { AppConfig } from '../config';
import { createDb, type Db } from '../db/client';
import { applyMigrations } from '../db/schema-engine';
import { ensureAdminKey } from '../services/api-keys';
import { findTemporalBinary, startTemporalDevServer } from '../temporal/dev-server';
import { startSimulatedProvider, type SimulatedProvider } from '../simulator/llm-provider';
import { configureLogging, serviceLog } from '../services/logging';
import { installTemporalLogging } from '../temporal/logging';
import { createFlywheelWorker } from '../worker';

export interface RunningService {
  /** Where the structured JSON logs go (a file, or stderr). */
  logDestination: string;
  /** The local simulated LLM provider, started when no real provider key is configured. */
  simulator: SimulatedProvider | null;
  graphqlUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  databaseUrl: string;
  adminKey: string | null;
  adminKeyNote: string;
  db: Db;
  client: Client;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

async function startTemporal(config: AppConfig, log: Log) {
  if (config.TEMPORAL_ADDRESS) return { address: config.TEMPORAL_ADDRESS, uiUrl: undefined, stop: async () => {} };
  const binary = findTemporalBinary();
  const dbFile = path.join(config.FLYWHEEL_DATA_DIR, 'temporal', 'temporal.sqlite');
  if (binary) {
    log(`Starting the Temporal dev server (${binary}), state in ${dbFile}`);
    return startTemporalDevServer({ binary, dbFile, port: 7233, uiPort: config.TEMPORAL_UI_PORT, log });
  }
  // No binary here: on a machine with internet the SDK downloads the same CLI.
  log('No `temporal` binary on PATH or in the cache: asking the Temporal SDK to download the dev server');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { dbFilename: dbFile, ip: '127.0.0.1', port: 7233, ui: true, uiPort: config.TEMPORAL_UI_PORT },
  });
  return { address: '127.0.0.1:7233', uiUrl: `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`, stop: () => env.teardown() };
}

/** The embedded setup keeps its admin key in the data folder (mode 600) so a restart can show it again. */
async function resolveAdminKey(db: Db, config: AppConfig, embedded: boolean) {
  const keyFile = path.join(config.FLYWHEEL_DATA_DIR, 'admin.key');
  const saved = embedded && !config.FLYWHEEL_ADMIN_KEY ? await readFile(keyFile, 'utf8').then((s) => s.trim(), () => undefined) : undefined;
  const result = await ensureAdminKey(db, config.FLYWHEEL_ADMIN_KEY ?? saved);
  if (result.created && embedded && !config.FLYWHEEL_ADMIN_KEY && result.plain) {
    await writeFile(keyFile, `${result.plain}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
  }
  if (result.plain) return { plain: result.plain, note: result.created ? 'created now; stored hashed' : 'from configuration' };
  return { plain: null, note: 'an admin key exists already and was shown when it was created (set FLYWHEEL_ADMIN_KEY to choose one)' };
}

/**
 * Structured logs go to LOG_FILE, else to a file in the data folder, so the person running
 * `npm start` reads the [flywheel] lines on the terminal and the JSON lines stay in the file.
 */
function startLogging(config: AppConfig): string {
  const destination = process.env.LOG_FILE ?? path.join(config.FLYWHEEL_DATA_DIR, 'logs', 'flywheel.log');
  configureLogging({ destination });
  // Temporal's own logs and every workflow and activity `log` call go to the same place.
  installTemporalLogging({ ownShutdown: true });
  return destination;
}

export async function startService(config: AppConfig, log: Log): Promise<RunningService> {
  const logDestination = startLogging(config);
  log(`Structured logs (JSON, level ${process.env.LOG_LEVEL ?? 'info'}): ${logDestination === 'stderr' || logDestination === '-' ? 'stderr' : logDestination}`);
  serviceLog().info({ temporalAddress: config.TEMPORAL_ADDRESS ?? 'embedded', embeddedDatabase: !config.DATABASE_URL, port: config.PORT }, 'service starting');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: Error) => log(`while stopping: ${error.message}`));
  };
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      log(`Starting embedded PostgreSQL (data in ${path.join(config.FLYWHEEL_DATA_DIR, 'postgres')})`);
      // Imported only when used: embedded-postgres installs async-exit-hook, which forces the
      // process's exit code to 0 (a failing CLI command would look successful).
      const { startEmbeddedPostgres } = await import('../db/embedded-postgres');
      const pg = await startEmbeddedPostgres(config.FLYWHEEL_DATA_DIR, config.EMBEDDED_POSTGRES_PORT, log);
      stops.push(pg.stop);
      databaseUrl = pg.url;
    }
    const applied = await applyMigrations(databaseUrl);
    log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date');
    const db = createDb(databaseUrl);
    stops.push(() => db.$disconnect());

    // No real provider key: the judge uses the local simulation, said plainly.
    let simulator: SimulatedProvider | null = null;
    if (!process.env.OPENAI_API_KEY && !process.env.ANTHROPIC_API_KEY && !process.env.FLYWHEEL_SIMULATOR_URL) {
      simulator = await startSimulatedProvider({ seed: 'service' });
      stops.push(() => simulator!.stop());
      process.env.FLYWHEEL_SIMULATOR_URL = simulator.url;
      log(`No OPENAI_API_KEY or ANTHROPIC_API_KEY: the judge uses the SIMULATED LLM provider at ${simulator.url} (not a real model)`);
    }

    const temporal = await startTemporal(config, log);
    stops.push(temporal.stop);
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    stops.push(() => workerConnection.close());
    log('Bundling workflows and starting the worker');
    const worker: Worker = await createFlywheelWorker({ connection: workerConnection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, db });
    const workerDone = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    });

    const server: Server = createApiServer({ db, temporal: { client, taskQueue: config.TEMPORAL_TASK_QUEUE } });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, resolve);
    });
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;

    const adminKey = await resolveAdminKey(db, config, !config.DATABASE_URL);
    serviceLog().info({ port, taskQueue: config.TEMPORAL_TASK_QUEUE, temporalAddress: temporal.address }, 'service started');
    return {
      logDestination,
      simulator,
      graphqlUrl: `http://${config.HOST}:${port}/graphql`,
      temporalAddress: temporal.address,
      temporalUiUrl: temporal.uiUrl,
      databaseUrl,
      adminKey: adminKey.plain,
      adminKeyNote: adminKey.note,
      db,
      client,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
