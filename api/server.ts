// HTTP entry: /graphql (graphql-yoga, GraphiQL in a browser), /healthz, the review and report pages.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createSchema, createYoga } from 'graphql-yoga';
import { authenticate } from '../services/api-keys';
import { serviceLog, type Logger } from '../services/logging';
import { consumeRequest } from '../services/rate-limit';
import { ANSWER_ROUTES, handleAnswerUpload } from './answers-route';
import { EXPORT_PATH, handleEvalSetExport } from './export-route';
import { handleTraceIngest } from './ingest-route';
import { inputGuardPlugin } from './input-guard';
import { REPORT_CHART_PATH, REPORT_PAGE_PATH, handleReportChart, serveReportPage } from './report-routes';
import { LABELS_PATH, handleLabelImport } from './labels-route';
import { createLoaders, type ApiContext, type ApiDeps } from './context';
import { resolvers } from './resolvers';

const typeDefs = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'schema.graphql'), 'utf8');

const reviewPage = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'static', 'review.html'), 'utf8');

const MAX_GRAPHQL_BODY_BYTES = 8 * 1024 * 1024;

/** What the HTTP layer hands to graphql-yoga: the node request, its response and its logger. */
interface HttpContext {
  req: IncomingMessage;
  res: ServerResponse;
  log: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** yoga's own messages (masked errors' causes among them) as structured lines. */
function yogaLogger() {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const err = args.find((a) => a instanceof Error);
    serviceLog()[level]({ source: 'graphql-yoga', ...(err ? { err } : {}) }, args.filter((a) => !(a instanceof Error)).map(String).join(' ') || 'graphql-yoga');
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function createGraphqlHandler(deps: ApiDeps) {
  return createYoga<HttpContext, ApiContext>({
    schema: createSchema<HttpContext & ApiContext>({ typeDefs, resolvers }),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // Errors that are not ServiceErrors/GraphQLErrors are masked: no stack trace reaches a client.
    maskedErrors: true,
    logging: yogaLogger(),
    // Depth, cost, alias and token limits refuse expensive queries before they run.
    plugins: [EnvelopArmorPlugin({ maxDepth: { n: 10 }, costLimit: { maxCost: 5000 }, maxAliases: { n: 15 }, maxTokens: { n: 5000 }, maxDirectives: { n: 20 } }), inputGuardPlugin()],
    context: async ({ request, log }) => {
      const principal = await authenticate(deps.db, request.headers.get('authorization'));
      noteKey(log, principal.keyId);
      await consumeRequest(principal.keyId);
      return { ...deps, principal, log: log.child({ keyId: principal.keyId, role: principal.role, keyProjectId: principal.projectId }), loaders: createLoaders(deps.db) };
    },
  });
}

/** Public and unauthenticated: says what is down, never why (the cause goes to the log). */
async function checkHealth(deps: ApiDeps, log: Logger): Promise<{ ok: boolean; postgres: string; temporal: string }> {
  const withTimeout = <T>(promise: Promise<T>) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout after 3 s')), 3000))]);
  // The Temporal call carries its own deadline: the client's retries must not outlive the probe.
  const probe = (name: string, check: Promise<unknown>) =>
    withTimeout(check).then(
      () => 'ok',
      (error: Error) => {
        log.warn({ component: name, reason: error.message }, 'health check failed');
        return 'down';
      },
    );
  const [postgres, temporal] = await Promise.all([probe('postgres', deps.db.$queryRaw`SELECT 1`), probe('temporal', deps.temporal.client.withDeadline(Date.now() + 3000, () => deps.temporal.client.workflowService.getSystemInfo({})))]);
  return { ok: postgres === 'ok' && temporal === 'ok', postgres, temporal };
}

/** The key id seen on a request, for its access line (the key itself is never logged). */
const keyIdOfRequest = new WeakMap<Logger, string>();
function noteKey(log: Logger, keyId: string): void {
  keyIdOfRequest.set(log, keyId);
}

export function createApiServer(deps: ApiDeps): Server {
  const graphql = createGraphqlHandler(deps);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    res.setHeader('x-request-id', requestId);
    const log = serviceLog().child({ requestId });
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // One access line per request: enough to find it again (no headers, no body).
      const keyId = keyIdOfRequest.get(log);
      log.info({ method: req.method, path: url.pathname, projectId: url.searchParams.get('projectId') ?? undefined, status: res.statusCode, durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10, ...(keyId ? { keyId } : {}) }, 'http request');
    });
    await route(req, res, url, log);
  });
  const route = async (req: IncomingMessage, res: ServerResponse, url: URL, log: Logger) => {
    if (url.pathname === '/healthz') {
      const health = await checkHealth(deps, log);
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health));
      return;
    }
    if (url.pathname === '/review' && req.method === 'GET') {
      // A plain page for reviewers; it talks to the public GraphQL API with their own key.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'" }).end(reviewPage);
      return;
    }
    const chartMatch = url.pathname.match(REPORT_CHART_PATH);
    if (chartMatch) {
      await handleReportChart(deps.db, req, res, url, chartMatch[1]!, chartMatch[2]!, { log, onKey: (keyId) => noteKey(log, keyId) });
      return;
    }
    if (REPORT_PAGE_PATH.test(url.pathname)) {
      serveReportPage(req, res);
      return;
    }
    if (url.pathname === '/v1/traces') {
      await handleTraceIngest(deps.db, req, res, url, { log, onKey: (keyId) => noteKey(log, keyId) });
      return;
    }
    const answerKind = ANSWER_ROUTES.get(url.pathname);
    if (answerKind) {
      await handleAnswerUpload(deps.db, req, res, url, answerKind, { log, onKey: (keyId) => noteKey(log, keyId) });
      return;
    }
    if (url.pathname === LABELS_PATH) {
      await handleLabelImport(deps.db, req, res, url, { log, onKey: (keyId) => noteKey(log, keyId) });
      return;
    }
    const exportMatch = url.pathname.match(EXPORT_PATH);
    if (exportMatch) {
      await handleEvalSetExport(deps.db, req, res, url, exportMatch[1]!, { log, onKey: (keyId) => noteKey(log, keyId) });
      return;
    }
    if (url.pathname === '/graphql') {
      if (Number(req.headers['content-length'] ?? 0) > MAX_GRAPHQL_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: `request body over ${MAX_GRAPHQL_BODY_BYTES} bytes; send traces through POST /v1/traces`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
        req.resume();
        return;
      }
      await graphql(req, res, { req, res, log });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${req.method} ${url.pathname}` }));
  };
  // A 1 GB trace upload takes longer than Node's default 5-minute request timeout; idle
  // connections are still closed by the headers and keep-alive timeouts.
  server.requestTimeout = 0;
  return server;
}
