// What the benchmarks share: their log lines and number formats, checked integer options,
// a scratch database on the --database-url server, clean-up that runs once (also on
// Ctrl-C), the closing table and the exit code.
import { randomBytes } from 'node:crypto';
import { Option } from 'commander';
import pg from 'pg';
import { withDatabase } from '../db/database-url';
import { applyMigrations } from '../db/schema-engine';

export const log = (line: string) => console.log(`[bench] ${line}`);
export const seconds = (startNs: bigint) => Number(process.hrtime.bigint() - startNs) / 1e9;
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

export const databaseUrlOption = () =>
  new Option('--database-url <url>', 'PostgreSQL server to create the scratch database on').default(process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');

/** An option's text as a whole number of at least `min`, or an error naming the option. */
export function integerOption(flag: string, text: string, min = 1): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got ${text}`);
  return value;
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const serverVersion = (url: string) => withClient(url, async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version);

interface Cleanups {
  add(step: () => Promise<unknown>): void;
  /** Runs the steps, the last added first, once; a failing step is reported and the rest still run. */
  run(): Promise<void>;
}

/** Clean-up steps that also run on Ctrl-C (then the process exits 130), so no scratch database is left behind. */
export function cleanupsOnExit(): Cleanups {
  const steps: (() => Promise<unknown>)[] = [];
  let ran = false;
  const run = async () => {
    if (ran) return;
    ran = true;
    for (const step of steps.reverse()) await step().catch((error: Error) => console.error(`[bench] cleanup: ${error.message}`));
  };
  process.once('SIGINT', () => void run().finally(() => process.exit(130)));
  return { add: (step) => void steps.push(step), run };
}

interface ScratchDatabase {
  name: string;
  url: string;
  /** Names of the migrations applied to it. */
  applied: string[];
}

/** A new database `<prefix>_<random>` on the server, migrated; dropped by `cleanups` unless `keep`. */
export async function createScratchDatabase(adminUrl: string, cleanups: Cleanups, options: { prefix?: string; keep?: boolean } = {}): Promise<ScratchDatabase> {
  const name = `${options.prefix ?? 'flywheel_bench'}_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  if (!options.keep) cleanups.add(() => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => log(`dropped ${name}`)));
  const url = withDatabase(adminUrl, name);
  return { name, url, applied: await applyMigrations(url) };
}

/** The results as two aligned columns between blank lines. */
export function printTable(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('');
}

/** Runs the benchmark, then exits: 0, or 1 after printing why it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`[bench] failed: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
