// `flywheel <command>`: the service's command line.
import { Command } from 'commander';
import { loadConfig } from '../config';
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

program.parseAsync().catch((error: Error) => {
  console.error(`flywheel: ${error.message}`);
  process.exit(1);
});
