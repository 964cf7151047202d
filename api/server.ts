// HTTP entry: /graphql (graphql-yoga, GraphiQL in a browser), /healthz.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSchema, createYoga } from 'graphql-yoga';
import { authenticate } from '../services/api-keys';
import { EXPORT_PATH, handleEvalSetExport } from './export-route';
import { handleTraceIngest } from './ingest-route';
import { createLoaders, type ApiContext, type ApiDeps } from './context';
import { resolvers } from './resolvers';

const typeDefs = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'schema.graphql'), 'utf8');

export function createGraphqlHandler(deps: ApiDeps) {
  return createYoga<object, ApiContext>({
    schema: createSchema<ApiContext>({ typeDefs, resolvers }),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Errors that are not ServiceErrors/GraphQLErrors are masked: no stack trace reaches a client.
    maskedErrors: true,
    context: async ({ request }) => ({
      ...deps,
      principal: await authenticate(deps.db, request.headers.get('authorization')),
      loaders: createLoaders(deps.db),
    }),
  });
}

async function checkHealth(deps: ApiDeps): Promise<{ ok: boolean; postgres: string; temporal: string }> {
  const withTimeout = <T>(promise: Promise<T>) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000))]);
  const postgres = await withTimeout(deps.db.$queryRaw`SELECT 1`).then(() => 'ok', (e: Error) => `down: ${e.message}`);
  const temporal = await withTimeout(deps.temporal.client.workflowService.getSystemInfo({})).then(() => 'ok', (e: Error) => `down: ${e.message}`);
  return { ok: postgres === 'ok' && temporal === 'ok', postgres, temporal };
}

export function createApiServer(deps: ApiDeps): Server {
  const graphql = createGraphqlHandler(deps);
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      const health = await checkHealth(deps);
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health));
      return;
    }
    if (url.pathname === '/v1/traces') {
      await handleTraceIngest(deps.db, req, res, url);
      return;
    }
    const exportMatch = url.pathname.match(EXPORT_PATH);
    if (exportMatch) {
      await handleEvalSetExport(deps.db, req, res, url, exportMatch[1]!);
      return;
    }
    if (url.pathname === '/graphql') {
      await graphql(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${req.method} ${url.pathname}` }));
  });
}
