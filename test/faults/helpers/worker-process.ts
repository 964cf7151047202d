// The service's standalone worker (`worker.ts`) as its own OS process, so a fault test can
// SIGKILL it for real: no graceful shutdown, no finally blocks, in-flight activities lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { FREEZE_AT_ENV, FROZEN_MARKER, type FaultPoint } from '../../../activities/fault-injection';
import { WORKFLOWS_PATH } from '../../../worker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const READY_LINE = 'Worker polling task queue';

export interface WorkerProcessOptions {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** A file written by bundleWorkflowsOnce: starting takes a second or two instead of bundling anew. */
  workflowBundle: string;
  simulatorUrl: string;
  /** Freeze at this activity point (activities/fault-injection.ts), `point` or `point#n`. */
  freezeAt?: FaultPoint | `${FaultPoint}#${number}`;
  env?: Record<string, string>;
}

export interface WorkerProcess {
  pid: number;
  /** Resolves once the worker polls its task queue. */
  ready: Promise<void>;
  /** Resolves when the worker has frozen at its fault point. */
  frozen: Promise<string>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** The last part of what the worker wrote, for failure messages. */
  output(): string;
}

const running = new Set<ChildProcess>();
// A test that fails half-way must not leave workers polling the shared server.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function bundleWorkflowsOnce(file: string): Promise<string> {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  await writeFile(file, bundle.code);
  return file;
}

export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    FLYWHEEL_WORKFLOW_BUNDLE: options.workflowBundle,
    FLYWHEEL_SIMULATOR_URL: options.simulatorUrl,
    // A killed worker's cached workflows move to its successor after a second, not ten.
    WORKER_STICKY_QUEUE_TIMEOUT_MS: '1000',
    // One judge score per write, so a fault point can stop the worker half-way through a batch.
    JUDGE_SCORE_BATCH: '1',
    ...options.env,
  };
  delete env.OPENAI_API_KEY;
  delete env.ANTHROPIC_API_KEY;
  delete env[FREEZE_AT_ENV];
  if (options.freezeAt) env[FREEZE_AT_ENV] = options.freezeAt;
  // node with tsx's loader, not the tsx CLI: the CLI runs the script in a child process,
  // which a SIGKILL of the CLI would leave running.
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  let stdout = '';
  const lineWaiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  const onStdout = (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      for (const waiter of [...lineWaiters]) {
        if (!waiter.match(line)) continue;
        lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    keep(chunk);
    onStdout(chunk);
  });
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const died = exited.then(() => {
    throw new Error(`worker ${child.pid} exited (code ${child.exitCode}, signal ${child.signalCode}):\n${output}`);
  });
  const lineMatching = (match: (line: string) => boolean) => Promise.race([new Promise<string>((resolve) => lineWaiters.push({ match, resolve })), died]);
  const ready = lineMatching((line) => line.startsWith(READY_LINE)).then(() => undefined);
  const frozen = lineMatching((line) => line.startsWith(FROZEN_MARKER));
  // Either may be left unawaited by a test that does not need it.
  ready.catch(() => {});
  frozen.catch(() => {});
  return {
    pid: child.pid!,
    ready,
    frozen,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    output: () => output,
  };
}
