// The service as most test files start it: the file's own database, Temporal client and
// task queue with a worker running the real workflows, the HTTP API on an ephemeral port and
// a service-wide admin key; optionally a simulated LLM provider of the file's own that the
// worker judges through. close() takes it down in reverse order.
import { createApiKey } from '../../services/api-keys';
import { startSimulatedProvider, type SimBehaviour, type SimulatedProvider } from '../../simulator/llm-provider';
import { startTestApi, type TestApi } from './api';
import { createTestDatabase, type TestDatabase } from './database';
import { connectTestTemporal, type TestTemporal } from './temporal';

interface TestbedOptions {
  /** A worker on the file's task queue (default true). */
  worker?: boolean;
  /** A simulated provider of the file's own with this behaviour; false (default): the suite's shared one. */
  simulator?: Partial<SimBehaviour> | false;
}

export interface Testbed {
  database: TestDatabase;
  temporal: TestTemporal;
  api: TestApi;
  /** The plain text of a service-wide admin key. */
  admin: string;
  /**
   * A GraphQL call with `key` (the admin key by default) whose errors are thrown, not
   * returned. Loosely typed, as TestApi.graphql is: tests read the fields they asked for.
   */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T>;
  close(): Promise<void>;
}

export interface SimulatedTestbed extends Testbed {
  sim: SimulatedProvider;
}

export function openTestbed(options: TestbedOptions & { simulator: Partial<SimBehaviour> }): Promise<SimulatedTestbed>;
export function openTestbed(options?: TestbedOptions): Promise<Testbed>;
export async function openTestbed(options: TestbedOptions = {}): Promise<Testbed | SimulatedTestbed> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    let sim: SimulatedProvider | undefined;
    if (options.simulator) {
      const started = await startSimulatedProvider(options.simulator);
      stops.push(() => started.stop());
      sim = started;
      // The worker (in this process) judges through this provider, never a real one.
      process.env.FLYWHEEL_SIMULATOR_URL = started.url;
      delete process.env.OPENAI_API_KEY;
      delete process.env.ANTHROPIC_API_KEY;
    }
    const database = await createTestDatabase();
    stops.push(() => database.drop());
    const temporal = await connectTestTemporal(database.db);
    stops.push(() => temporal.close());
    if (options.worker !== false) {
      const worker = await temporal.startWorker();
      stops.push(() => worker.stop());
    }
    const api = await startTestApi(database.db, { client: temporal.client, taskQueue: temporal.taskQueue });
    stops.push(() => api.close());
    const admin = (await createApiKey(database.db, { name: 'admin', role: 'admin', projectId: null })).plain;
    const gql = async <T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, key = admin): Promise<T> => {
      const result = await api.graphql<T>(query, variables, key);
      if (result.errors) throw new Error(result.errors.map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message)).join('; '));
      return result.data as T;
    };
    const bed: Testbed = { database, temporal, api, admin, gql, close };
    return sim ? { ...bed, sim } : bed;
  } catch (error) {
    // What was started before the failure is stopped; the failure is what the file reports.
    await close().catch(() => {});
    throw error;
  }
}
