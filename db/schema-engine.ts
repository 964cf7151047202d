// Prisma's schema engine compiled to WASM, driven through the pg driver adapter.
// The native engine binary cannot be downloaded on these machines; this is the same
// engine, so the migrations folder stays in Prisma's own format and `prisma migrate
// deploy` applies it unchanged wherever the CLI works.
import { randomUUID } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { PoolConfig } from 'pg';
import type { DiffTarget, MigrationList, SchemaEngine as SchemaEngineType } from '@prisma/schema-engine-wasm';
import { pgConfigFromUrl } from './database-url';

const require = createRequire(import.meta.url);
export const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const SCHEMA_PATH = path.join(PROJECT_ROOT, 'prisma', 'schema.prisma');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'prisma', 'migrations');

const NO_FILTER = { externalTables: [], externalEnums: [] };

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');
let engineModule: Promise<EngineModule> | undefined;

// The package's own entry imports the .wasm file as a module, which Node refuses;
// instantiate it by hand with the JS glue as its import object.
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const bg = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as EngineModule;
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      './schema_engine_bg.js': bg as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as unknown as { __wbindgen_start: () => void };
    bg.__wbg_set_wasm(instance.exports);
    exports.__wbindgen_start();
    return bg;
  })();
  return engineModule;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
type PerformIO = (...args: unknown[]) => Promise<{ fields: { dataTypeID: number }[] }>;
const patchedPrototypes = new WeakSet<object>();

// adapter-pg 7.10.1 refuses Postgres' internal one-byte "char" type, which the engine's
// catalog queries return when it describes a schema (shadow database, drift checks).
// pg already hands those values over as strings, so reading them as text is exact.
function readCharColumnsAsText(adapter: object): void {
  for (let proto = Object.getPrototypeOf(adapter); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (!Object.prototype.hasOwnProperty.call(proto, 'performIO') || patchedPrototypes.has(proto)) continue;
    const original = proto.performIO as PerformIO;
    proto.performIO = async function (this: unknown, ...args: unknown[]) {
      const result = await original.apply(this, args);
      for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      return result;
    };
    patchedPrototypes.add(proto);
  }
}

type ExecuteScript = (script: string) => Promise<void>;
interface ScriptRunner {
  client: { query(sql: string): Promise<unknown> };
  onError(error: unknown): never;
}

// adapter-pg 7.10.1 runs a migration script by splitting it on every ';', which cuts a
// function body ($$ ... ; ... $$) in pieces. The native engine behind `prisma migrate
// deploy` sends the script whole; so does this, as one simple-protocol query (several
// statements, one implicit transaction).
const wholeScriptPrototypes = new WeakSet<object>();
function runScriptsWhole(adapter: object): void {
  for (let proto = Object.getPrototypeOf(adapter); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (!Object.prototype.hasOwnProperty.call(proto, 'executeScript') || wholeScriptPrototypes.has(proto)) continue;
    proto.executeScript = async function (this: ScriptRunner, script: string) {
      try {
        await this.client.query(script);
      } catch (error) {
        this.onError(error);
      }
    } satisfies ExecuteScript;
    wholeScriptPrototypes.add(proto);
  }
}

// adapter-pg 7.10.1 drops the shadow database before closing its own pool on it, so
// Postgres refuses the drop ("being accessed by other users"); close first, then drop.
class ShadowSafePrismaPg extends PrismaPg {
  /** Every adapter handed to the engine; freeing the engine does not close their pools. */
  readonly opened: { dispose(): Promise<void> }[] = [];

  constructor(private readonly poolConfig: PoolConfig) {
    super(poolConfig);
  }

  override async connect() {
    const adapter = await super.connect();
    readCharColumnsAsText(adapter);
    runScriptsWhole(adapter);
    this.opened.push(adapter);
    return adapter;
  }

  override async connectToShadowDb() {
    const admin = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new ShadowSafePrismaPg({ ...this.poolConfig, database }).connect();
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.dispose();
    };
    return shadow;
  }
}

export interface SchemaEngineHandle {
  engine: SchemaEngineType;
  close(): Promise<void>;
}

export async function openSchemaEngine(databaseUrl: string): Promise<SchemaEngineHandle> {
  const bg = await loadEngineModule();
  // Host/user/database fields rather than a connection string: with a string, the
  // adapter ignores the shadow database name the engine asks for.
  const factory = new ShadowSafePrismaPg(pgConfigFromUrl(databaseUrl));
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engine = await bg.SchemaEngine.new({ datamodels: undefined }, () => {}, adapter);
  return {
    engine,
    // Closing the pools releases the engine's advisory migration lock at once; left
    // open, the next engine waits for it to time out.
    close: async () => {
      engine.free();
      await Promise.all(factory.opened.map((a) => a.dispose().catch(() => {})));
    },
  };
}

export async function readSchemaFiles(schemaPath = SCHEMA_PATH) {
  return [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }];
}

export async function readMigrationsList(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  let names: string[] = [];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const migrationDirectories = await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name, 'migration.sql');
      const content = await readFile(file, 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (error: Error) => ({ tag: 'error' as const, value: error.message }),
      );
      return { path: name, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  const lockPath = path.join(dir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Applies every migration not yet recorded in `_prisma_migrations`, as `prisma migrate deploy` does. */
export async function applyMigrations(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const handle = await openSchemaEngine(databaseUrl);
  try {
    const result = await handle.engine.applyMigrations({ migrationsList: await readMigrationsList(dir), filters: NO_FILTER });
    return result.appliedMigrationNames;
  } finally {
    await handle.close();
  }
}

/** SQL that takes a database from the migrations folder's end state to what schema.prisma describes ('' when none). */
export function diffMigrationsToSchema(databaseUrl: string, dir = MIGRATIONS_DIR, schemaPath = SCHEMA_PATH): Promise<string> {
  return diffToSchema(databaseUrl, schemaPath, async () => {
    const migrationsList = await readMigrationsList(dir);
    return migrationsList.migrationDirectories.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...migrationsList };
  });
}

/** SQL that takes the live database to what schema.prisma describes ('' when they match). */
export function diffDatabaseToSchema(databaseUrl: string, schemaPath = SCHEMA_PATH): Promise<string> {
  // "schemaDatasource": the database the engine is connected to, through the adapter.
  return diffToSchema(databaseUrl, schemaPath, async () => ({ tag: 'schemaDatasource', files: await readSchemaFiles(schemaPath), configDir: PROJECT_ROOT }));
}

/** The engine's script from `from` (read once the engine is open) to schema.prisma. */
async function diffToSchema(databaseUrl: string, schemaPath: string, from: () => Promise<DiffTarget>): Promise<string> {
  const handle = await openSchemaEngine(databaseUrl);
  try {
    const result = await handle.engine.diff({
      from: await from(),
      to: { tag: 'schemaDatamodel', files: await readSchemaFiles(schemaPath) },
      script: true,
      exitCode: null,
      filters: NO_FILTER,
    });
    return normalizeEmptyDiff(result.stdout ?? '');
  } finally {
    await handle.close();
  }
}

function normalizeEmptyDiff(sql: string): string {
  const meaningful = sql.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('--'));
  return meaningful.length === 0 ? '' : sql;
}
