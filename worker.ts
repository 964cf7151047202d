// The Temporal worker: every workflow and activity of the service on one task queue.
// Run more of these (same TEMPORAL_ADDRESS, DATABASE_URL, task queue) to scale out.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Db } from './db/client';
import { keepAliveHeartbeats } from './temporal/keepalive-heartbeats';

export const WORKFLOWS_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'workflows', 'index.ts');

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** A bundle made once with bundleWorkflowCode (tests); otherwise the worker bundles WORKFLOWS_PATH. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * How long a workflow task waits for the worker that has the workflow cached before any
   * worker takes it (and replays the history); the SDK's default is 10 s.
   */
  stickyQueueTimeoutMs?: number;
}

export async function createFlywheelWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(deps.db),
    interceptors: { activity: [keepAliveHeartbeats] },
    ...(deps.stickyQueueTimeoutMs ? { stickyQueueScheduleToStartTimeout: deps.stickyQueueTimeoutMs } : {}),
  });
}

// `tsx worker.ts`: a standalone worker against existing servers (scale-out).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { loadConfig } = await import('./config');
  const { createDb } = await import('./db/client');
  const config = loadConfig();
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    console.error('A standalone worker needs DATABASE_URL and TEMPORAL_ADDRESS (use `npm start` for the embedded defaults).');
    process.exit(1);
  }
  const { installTemporalLogging } = await import('./temporal/logging');
  const { serviceLog } = await import('./services/logging');
  installTemporalLogging();
  const db = createDb(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  // A bundle made at build time starts the worker in a second instead of bundling on every start.
  const workflowBundle = config.FLYWHEEL_WORKFLOW_BUNDLE ? { codePath: config.FLYWHEEL_WORKFLOW_BUNDLE } : undefined;
  const worker = await createFlywheelWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db,
    workflowBundle,
    stickyQueueTimeoutMs: config.WORKER_STICKY_QUEUE_TIMEOUT_MS,
  });
  console.log(`Worker polling task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
  serviceLog().info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker polling');
  await worker.run();
  await connection.close();
  await db.$disconnect();
}
