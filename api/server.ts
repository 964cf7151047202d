// HTTP entry: /graphql (graphql-yoga, GraphiQL in a browser), /healthz.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createSchema, createYoga } from 'graphql-yoga';
import { authenticate } from '../services/api-keys';
import { consumeRequest } from '../services/rate-limit';
import { EXPORT_PATH, handleEvalSetExport } from './export-route';
import { handleTraceIngest } from './ingest-route';
import { LABELS_PATH, handleLabelImport } from './labels-route';
import { createLoaders, type ApiContext, type ApiDeps } from './context';
import { resolvers } from './resolvers';

const typeDefs = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'schema.graphql'), 'utf8');

const reviewPage = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'static', 'review.html'), 'utf8');

const MAX_GRAPHQL_BODY_BYTES = 8 * 1024 * 1024;

export function createGraphqlHandler(deps: ApiDeps) {
  return createYoga<object, ApiContext>({
    schema: createSchema<ApiContext>({ typeDefs, resolvers }),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Errors that are not ServiceErrors/GraphQLErrors are masked: no stack trace reaches a client.
    maskedErrors: true,
    // Depth, cost, alias and token limits refuse expensive queries before they run.
    plugins: [EnvelopArmorPlugin({ maxDepth: { n: 10 }, costLimit: { maxCost: 5000 }, maxAliases: { n: 15 }, maxTokens: { n: 5000 }, maxDirectives: { n: 20 } })],
    context: async ({ request }) => {
      const principal = await authenticate(deps.db, request.headers.get('authorization'));
      await consumeRequest(principal.keyId);
      return { ...deps, principal, loaders: createLoaders(deps.db) };
    },
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
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      const health = await checkHealth(deps);
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health));
      return;
    }
    if (url.pathname === '/review' && req.method === 'GET') {
      // A plain page for reviewers; it talks to the public GraphQL API with their own key.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'" }).end(reviewPage);
      return;
    }
    if (url.pathname === '/v1/traces') {
      await handleTraceIngest(deps.db, req, res, url);
      return;
    }
    if (url.pathname === LABELS_PATH) {
      await handleLabelImport(deps.db, req, res, url);
      return;
    }
    const exportMatch = url.pathname.match(EXPORT_PATH);
    if (exportMatch) {
      await handleEvalSetExport(deps.db, req, res, url, exportMatch[1]!);
      return;
    }
    if (url.pathname === '/graphql') {
      if (Number(req.headers['content-length'] ?? 0) > MAX_GRAPHQL_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: `request body over ${MAX_GRAPHQL_BODY_BYTES} bytes; send traces through POST /v1/traces`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
        req.resume();
        return;
      }
      await graphql(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${req.method} ${url.pathname}` }));
  });
  // A 1 GB trace upload takes longer than Node's default 5-minute request timeout; idle
  // connections are still closed by the headers and keep-alive timeouts.
  server.requestTimeout = 0;
  return server;
}
