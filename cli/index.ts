// `flywheel <command>`: the service's command line.
import { Command } from 'commander';
import { loadConfig } from '../config';
import { exportEvalSetVersion } from './export';
import { formatIngestSummary, ingestFile } from './ingest';
import { startService } from './services';

const log = (line: string) => console.log(`[flywheel] ${line}`);

const program = new Command('flywheel').description('Eval flywheel: keep offline evals honest against production.');

program
  .command('up')
  .description('start everything (embedded PostgreSQL and Temporal unless DATABASE_URL / TEMPORAL_ADDRESS are set), the worker and the API; Ctrl-C stops it all')
  .action(async () => {
    const config = loadConfig();
    const service = await startService(config, log);
    console.log('');
    console.log(`  GraphQL API   ${service.graphqlUrl}   (GraphiQL in a browser)`);
    console.log(`  Health        ${service.graphqlUrl.replace(/\/graphql$/, '/healthz')}`);
    console.log(`  Temporal      ${service.temporalAddress}${service.temporalUiUrl ? `   Web UI ${service.temporalUiUrl}` : ''}`);
    console.log(`  Admin key     ${service.adminKey ?? '(not shown)'}   ${service.adminKeyNote}`);
    console.log('');
    console.log('Press Ctrl-C to stop.');
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      log('Stopping...');
      await service.stop();
      process.exit(0);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });

program
  .command('ingest')
  .description('send an NDJSON trace file (gzip if it ends in .gz) to POST /v1/traces, with a progress bar')
  .argument('<file>', 'NDJSON file, one trace per line')
  .option('-p, --project <id>', 'project id (not needed with a project-scoped key)')
  .option('-u, --url <url>', 'service base URL', process.env.FLYWHEEL_URL ?? 'http://127.0.0.1:4000')
  .option('-k, --key <key>', 'ingest or admin API key (default: FLYWHEEL_API_KEY, then .data/admin.key)')
  .option('--gzip', 'the file is gzip-compressed (default: when it ends in .gz)')
  .action(async (file: string, options: { project?: string; url: string; key?: string; gzip?: boolean }) => {
    const summary = await ingestFile(file, { ...options, dataDir: loadConfig().FLYWHEEL_DATA_DIR });
    console.log(formatIngestSummary(summary));
    if (summary.rejected > 0) process.exitCode = 2;
  });

program
  .command('export')
  .description('download an eval set version as JSONL (this service), promptfoo tests or OpenAI Evals samples')
  .argument('<versionId>', 'eval set version id (see evalSets in GraphQL)')
  .option('-f, --format <format>', 'jsonl | promptfoo | openai-evals', 'jsonl')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .option('-u, --url <url>', 'service base URL', process.env.FLYWHEEL_URL ?? 'http://127.0.0.1:4000')
  .option('-k, --key <key>', 'API key (default: FLYWHEEL_API_KEY, then .data/admin.key)')
  .action(async (versionId: string, options: { format: string; out?: string; url: string; key?: string }) => {
    const body = await exportEvalSetVersion(versionId, { ...options, dataDir: loadConfig().FLYWHEEL_DATA_DIR });
    if (options.out) console.log(`wrote ${options.out}`);
    else process.stdout.write(body);
  });

program.parseAsync().catch((error: Error) => {
  console.error(`flywheel: ${error.message}`);
  process.exit(1);
});
