// GET /v1/eval-set-versions/:id/export?format=jsonl|promptfoo|openai-evals
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import { ServiceError } from '../services/errors';
import { serviceLog } from '../services/logging';
import { consumeRequest } from '../services/rate-limit';
import type { RouteLogging } from './route-logging';
import { exportVersion } from '../services/evalsets/eval-sets';

export const EXPORT_PATH = /^\/v1\/eval-set-versions\/([^/]+)\/export$/;

export async function handleEvalSetExport(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, versionId: string, options: RouteLogging = {}): Promise<void> {
  const log = options.log ?? serviceLog();
  try {
    // The key first: without one, nothing about the route or the version is answered.
    const principal = await authenticate(db, req.headers.authorization ?? null);
    options.onKey?.(principal.keyId);
    await consumeRequest(principal.keyId);
    if (req.method !== 'GET') throw new ServiceError('BAD_USER_INPUT', 'use GET');
    const file = await exportVersion(db, principal, decodeURIComponent(versionId), url.searchParams.get('format') ?? 'jsonl');
    log.info({ keyId: principal.keyId, evalSetVersionId: versionId, format: url.searchParams.get('format') ?? 'jsonl', bytes: Buffer.byteLength(file.body) }, 'eval set exported');
    res.writeHead(200, { 'content-type': file.contentType, 'content-disposition': `attachment; filename="${file.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"` }).end(file.body);
  } catch (error) {
    if (error instanceof ServiceError) res.writeHead(error.httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: error.code, message: error.message } }));
    else {
      log.error({ err: error, evalSetVersionId: versionId }, 'export failed');
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'export failed' } }));
    }
  }
}
