// Connects a test file to the shared dev server with its own task queue and a worker
// that runs the real workflows and activities against the file's own database.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { temporalLogger } from '../../temporal/logging';
import { inject } from 'vitest';
import type { Db } from '../../db/client';
import { WORKFLOWS_PATH, createFlywheelWorker } from '../../worker';

let runtimeInstalled = false;

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  workerConnection: NativeConnection;
  /** The workflows' bundle, made on first use (files without a worker never need it). */
  workflowBundle(): Promise<WorkflowBundle>;
  /** Starts a worker for this file's task queue; returns a function that stops it. */
  startWorker(): Promise<{ worker: Worker; stop(): Promise<void> }>;
  close(): Promise<void>;
}

export async function connectTestTemporal(db: Db): Promise<TestTemporal> {
  if (!runtimeInstalled) {
    // Runtime.install may run once per process. Temporal's logs and the workflows' and
    // activities' `log` calls go to the service logger (LOG_LEVEL, silent in tests by default).
    Runtime.install({ logger: temporalLogger() });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  // The worker judges through the simulated provider unless the file started its own.
  process.env.FLYWHEEL_SIMULATOR_URL ??= inject('simulatorUrl');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const workerConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;
  let bundle: Promise<WorkflowBundle> | undefined;
  const workflowBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }));
  return {
    client,
    taskQueue,
    workerConnection,
    workflowBundle,
    async startWorker() {
      const worker = await createFlywheelWorker({ connection: workerConnection, namespace: 'default', taskQueue, db, workflowBundle: await workflowBundle() });
      const running = worker.run();
      return {
        worker,
        stop: async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        },
      };
    },
    async close() {
      await workerConnection.close();
      await connection.close();
    },
  };
}
