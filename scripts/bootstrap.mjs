#!/usr/bin/env node
// Plain Node, no dependencies: runs on a fresh clone before `npm install` has.
// Makes sure the machine has what the service needs (npm packages, the generated
// Prisma client, the Temporal CLI), then hands over to the real command.
//   node scripts/bootstrap.mjs up      start the service (README's first command)
//   node scripts/bootstrap.mjs test    run every test, end with "N passed, N failed"
//   node scripts/bootstrap.mjs generate
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const cacheDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'eval-flywheel', 'bin');
const say = (line) => console.log(`[bootstrap] ${line}`);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`[bootstrap] ${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

function ensurePackages() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && mtime(marker) >= mtime(path.join(root, 'package-lock.json'))) return;
  // `npm install` rather than `npm ci`: npm 11 leaves some optional platform packages
  // (@swc/core-*) out of the lock file and then refuses `npm ci` on it.
  say('Installing npm packages (npm install, from package-lock.json)');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}

function ensurePrismaClient() {
  const client = path.join(root, 'generated', 'prisma', 'client.ts');
  if (mtime(client) >= mtime(path.join(root, 'prisma', 'schema.prisma'))) return;
  say('Generating the Prisma client');
  // `generate` never runs the schema engine, but the CLI insists on a path to one;
  // any existing file stops it from trying to download the native engine.
  run(path.join(root, 'node_modules', '.bin', 'prisma'), ['generate'], {
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'package.json'), PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

function ensureTemporalCli() {
  if (process.env.TEMPORAL_CLI_PATH && existsSync(process.env.TEMPORAL_CLI_PATH)) return;
  if (findOnPath('temporal') || existsSync(path.join(cacheDir, 'temporal'))) return;
  const go = findOnPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    say('No `temporal` binary and no Go toolchain: the service will ask the Temporal SDK to download the dev server.');
    return;
  }
  say(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir} (once per machine; a few minutes)`);
  mkdirSync(cacheDir, { recursive: true });
  run(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    cwd: os.tmpdir(),
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: cacheDir, GOFLAGS: '-mod=mod' },
  });
}

function exec(cmd, args, env = process.env) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
  // Ctrl-C reaches the child through the terminal's process group; wait for it to clean up.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function runTests(extraArgs) {
  const reportFile = path.join(root, '.data', 'vitest-report.json');
  mkdirSync(path.dirname(reportFile), { recursive: true });
  const code = await exec(path.join(root, 'node_modules', '.bin', 'vitest'), [
    'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...extraArgs,
  ]);
  let summary;
  let failed = 0;
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // Files that failed to load count as failures too (their tests never ran).
    const brokenFiles = (report.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
    failed = report.numFailedTests + brokenFiles;
    // A run can fail with every test green (an unhandled error, a crashed fork): count it, so
    // the closing line never says "0 failed" for a red run.
    const otherwise = failed === 0 && (report.success === false || code !== 0);
    if (otherwise) failed = 1;
    summary = `${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped${otherwise ? ` (vitest reported an error outside the tests, exit ${code}; see above)` : ''}`;
  } catch {
    failed = 1;
    summary = `0 passed, 1 failed (no test report was written)`;
  }
  console.log(summary);
  // vitest's own exit code is not enough: a dependency's exit hook can turn it into 0.
  return code !== 0 ? code : failed > 0 ? 1 : 0;
}

const [command = 'up', ...rest] = process.argv.slice(2);
ensurePackages();
ensurePrismaClient();
if (command === 'generate') process.exit(0);
ensureTemporalCli();
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
if (command === 'test') process.exit(await runTests(rest));
process.exit(await exec(tsx, [path.join(root, 'cli', 'index.ts'), command, ...rest]));
