// What the NDJSON upload routes (traces, release and shadow answers, labels) share: the key
// first (as on every route), then its rate limit, then the request's shape; the body
// streamed into the route's store; one answer and one log line, whatever the outcome.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Db } from '../db/client';
import { authenticate, type Principal } from '../services/api-keys';
import { ServiceError, badInput } from '../services/errors';
import { serviceLog } from '../services/logging';
import { consumeRequest } from '../services/rate-limit';
import { isBodyReadError, openNdjsonBody, sendJson } from './ndjson-body';
import type { RouteLogging } from './route-logging';

interface StoredUpload {
  /** The answer's body. */
  summary: unknown;
  /** What the success line logs: counts and first reasons only, the lines are user data. */
  logged: Record<string, unknown>;
}

interface NdjsonUploadRoute {
  /** The body as the refusal of another method names it ("an NDJSON body"). */
  bodyName: string;
  /**
   * The route's own checks of the request, once the key is counted and the project known;
   * resolves to what stores the body's lines. A refusal here comes before the body is read.
   */
  accept(principal: Principal, projectId: string): Promise<(body: Readable) => Promise<StoredUpload>>;
  /** The messages of the lines logged on success, on a refusal and on a failure. */
  logLines: { stored: string; refused: string; failed: string };
  /** The 500's message: what the client may do about the failure. */
  failureMessage: string;
}

export async function handleNdjsonUpload(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, route: NdjsonUploadRoute, options: RouteLogging = {}): Promise<void> {
  let log = options.log ?? serviceLog();
  try {
    const principal = await authenticate(db, req.headers.authorization ?? null);
    options.onKey?.(principal.keyId);
    log = log.child({ keyId: principal.keyId, role: principal.role });
    await consumeRequest(principal.keyId);
    if (req.method !== 'POST') throw badInput(`use POST with ${route.bodyName}`);
    const projectId = url.searchParams.get('projectId') ?? principal.projectId;
    if (!projectId) throw badInput('which project? pass ?projectId=ID or use a project-scoped key');
    const store = await route.accept(principal, projectId);
    const body = openNdjsonBody(req, res);
    if (!body) return;
    const { summary, logged } = await store(body.stream).catch((error: Error) => {
      if (isBodyReadError(body, error)) throw badInput(`the body could not be read: ${(body.readError() ?? error).message}`);
      throw error;
    });
    log.info(logged, route.logLines.stored);
    sendJson(res, 200, summary);
  } catch (error) {
    // Whatever was not read is drained, so the client gets the answer rather than a reset.
    req.resume();
    if (error instanceof ServiceError) {
      log.info({ code: error.code, reason: error.message }, route.logLines.refused);
      sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    } else {
      log.error({ err: error }, route.logLines.failed);
      sendJson(res, 500, { error: { code: 'INTERNAL', message: route.failureMessage } });
    }
  }
}
