// `flywheel <command>`: the service's command line.
import { Command } from 'commander';
import { loadConfig } from '../config';
import { exportEvalSetVersion } from './export';
import { graphqlClient } from './graphql-client';
import { formatIngestSummary, ingestFile, resolveKey } from './ingest';
import { fetchImportedAgreement, formatImportSummary, formatImportedAgreement, importLabelsFile } from './labels';
import { fetchRun, formatRunReport } from './run-report';
import { fetchCorrelationTable } from './correlation';

const log = (line: string) => console.log(`[flywheel] ${line}`);

const program = new Command('flywheel').description('Eval flywheel: keep offline evals honest against production.');

async function up(options: { demo?: boolean }) {
    // Loaded here: the worker and server modules take seconds to load that the API commands do not need.
    const { startService } = await import('./services');
    const { runDemo } = await import('./demo');
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
    if (options.demo) {
      if (!service.adminKey) throw new Error('the demo needs the admin key: set FLYWHEEL_ADMIN_KEY');
      log('Demo: a synthetic month through the whole loop (simulated reviewers; simulated judge unless a real key is set)');
      await runDemo({ baseUrl: service.graphqlUrl.replace(/\/graphql$/, ''), adminKey: service.adminKey, simulator: service.simulator, log });
      console.log(`\nThe service keeps running: GraphQL ${service.graphqlUrl}${service.temporalUiUrl ? `, Temporal UI ${service.temporalUiUrl}` : ''}. Ctrl-C stops it.`);
    }
}

program
  .command('up')
  .description('start everything (embedded PostgreSQL and Temporal unless DATABASE_URL / TEMPORAL_ADDRESS are set), the worker and the API; Ctrl-C stops it all')
  .option('--demo', 'also run the demo: a synthetic month through the whole loop, with simulated reviewers')
  .action(up);

program
  .command('demo')
  .description('start everything and run the demo (same as `up --demo`)')
  .action(() => up({ demo: true }));

const apiOptions = (command: Command) =>
  command
    .option('-u, --url <url>', 'service base URL', process.env.FLYWHEEL_URL ?? 'http://127.0.0.1:4000')
    .option('-k, --key <key>', 'API key (default: FLYWHEEL_API_KEY, then .data/admin.key)');

async function clientFor(options: { url: string; key?: string }) {
  return graphqlClient(options.url, await resolveKey({ key: options.key, dataDir: loadConfig().FLYWHEEL_DATA_DIR }));
}

apiOptions(
  program
    .command('run')
    .description('start a flywheel run for a project (default period: the previous calendar month, UTC)')
    .requiredOption('-p, --project <id>', 'project id')
    .option('--from <iso>', 'period start (ISO 8601)')
    .option('--to <iso>', 'period end (ISO 8601)'),
).action(async (options: { project: string; from?: string; to?: string; url: string; key?: string }) => {
  const gql = await clientFor(options);
  const started = await gql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id workflowId } }', { p: options.project, s: options.from ?? null, e: options.to ?? null });
  console.log(`started run ${started.startFlywheelRun.id} (workflow ${started.startFlywheelRun.workflowId})`);
});

apiOptions(program.command('status').description('a run\'s status and stage').argument('<runId>')).action(async (runId: string, options: { url: string; key?: string }) => {
  const run = await fetchRun(await clientFor(options), runId);
  console.log(`${run.status} / ${run.stage}${run.labelingProgress ? `; labels ${run.labelingProgress.done}/${run.labelingProgress.total}` : ''}${run.needsAttention ? `; needs attention: ${run.needsAttention}` : ''}`);
});

apiOptions(program.command('report').description('print a run\'s report').argument('<runId>')).action(async (runId: string, options: { url: string; key?: string }) => {
  console.log(formatRunReport(await fetchRun(await clientFor(options), runId)));
});

apiOptions(
  program
    .command('correlation')
    .description("print a run's eval-to-production correlation: per release, and per offline measure x production metric")
    .requiredOption('-p, --project <id>', 'project id')
    .option('-r, --run <id>', 'run id (default: the latest report)')
    .option('-s, --scope <scope>', 'releases | cells | both', 'both'),
).action(async (options: { project: string; run?: string; scope: string; url: string; key?: string }) => {
  console.log(await fetchCorrelationTable(await clientFor(options), options));
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

program
  .command('import-labels')
  .description('import existing labels or judge verdicts (JSONL, gzip if it ends in .gz), streamed to POST /v1/labels; exit code 2 when rows were rejected')
  .argument('<file>', 'JSONL file, one judgment per line')
  .requiredOption('-p, --project <id>', 'project id')
  .requiredOption('-d, --dataset <name>', 'dataset name; re-importing into the same dataset updates rows in place')
  .requiredOption('--kind <kind>', 'pairwise (A/B/tie votes) or pointwise (1-5 scores and/or pass/fail)')
  .option('--preset <preset>', 'field names: mt-bench (lmsys/mt_bench_human_judgments rows) or default (this service\'s names)')
  .option('--mapping <file>', 'a JSON field mapping instead of a preset (see README, "Bring your own labels")')
  .option('--gzip', 'the file is gzip-compressed (default: when it ends in .gz)')
  .option('-u, --url <url>', 'service base URL', process.env.FLYWHEEL_URL ?? 'http://127.0.0.1:4000')
  .option('-k, --key <key>', 'ingest or admin API key (default: FLYWHEEL_API_KEY, then .data/admin.key)')
  .action(async (file: string, options: { project: string; dataset: string; kind: string; preset?: string; mapping?: string; gzip?: boolean; url: string; key?: string }) => {
    if (options.kind !== 'pairwise' && options.kind !== 'pointwise') throw new Error(`--kind is pairwise or pointwise, got ${options.kind}`);
    if (options.preset && options.mapping) throw new Error('give --preset or --mapping, not both');
    const summary = await importLabelsFile(file, { ...options, dataDir: loadConfig().FLYWHEEL_DATA_DIR });
    console.log(formatImportSummary(summary));
    if (summary.rejected > 0) process.exitCode = 2;
  });

apiOptions(
  program
    .command('agreement')
    .description('agreement between two rater groups on imported labels, per group (e.g. turn) and overall')
    .requiredOption('-p, --project <id>', 'project id')
    .requiredOption('-d, --dataset <name>', 'dataset name given at import')
    .requiredOption('--kind <kind>', 'pairwise or pointwise')
    .requiredOption('--group-a <group>', "KIND[:PATTERN]: rater kind human, judge or any, and a regular expression on the rater id, e.g. 'judge:^gpt4_pair$'")
    .requiredOption('--group-b <group>', "the same for group B, e.g. 'human:^expert_' (pointwise: B is the reference for TPR/TNR)")
    .option('--setup <setup>', 'pairwise: S1 (ties count as a third choice) or S2 (comparisons with a tie left out); default both'),
).action(async (options: { project: string; dataset: string; kind: string; groupA: string; groupB: string; setup?: string; url: string; key?: string }) => {
  if (options.kind !== 'pairwise' && options.kind !== 'pointwise') throw new Error(`--kind is pairwise or pointwise, got ${options.kind}`);
  const reports = await fetchImportedAgreement(await clientFor(options), options);
  console.log(formatImportedAgreement(reports, options));
});

program.parseAsync().catch((error: Error) => {
  console.error(`flywheel: ${error.message}`);
  process.exit(1);
});
