// POST /v1/labels?projectId=ID&dataset=NAME&kind=pairwise|pointwise[&preset=P][&mapping=JSON]:
// a JSONL file of labels or judge verdicts (optionally gzip) streamed into imported
// judgments. GraphQL's importLabels takes the same rows but holds the whole text in one
// request (8 MB at most); this route reads line by line, so a file of any size works.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import { ServiceError, badInput } from '../services/errors';
import { MAX_LABEL_LINE_BYTES, importLabels } from '../services/imports/import-labels';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { isBodyReadError, openNdjsonBody, sendJson } from './ndjson-body';

export const LABELS_PATH = '/v1/labels';

export async function handleLabelImport(db: Db, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  try {
    if (req.method !== 'POST') throw badInput('use POST with a JSONL body');
    const principal = await authenticate(db, req.headers.authorization ?? null);
    const param = (name: string) => url.searchParams.get(name);
    const projectId = param('projectId') ?? principal.projectId;
    if (!projectId) throw badInput('which project? pass ?projectId=ID or use a project-scoped key');
    const dataset = param('dataset');
    const kind = param('kind');
    if (!dataset || !kind) throw badInput('pass ?dataset=NAME&kind=pairwise|pointwise');
    let mapping: unknown;
    const mappingText = param('mapping');
    if (mappingText) {
      try {
        mapping = JSON.parse(mappingText);
      } catch {
        throw badInput('mapping is not valid JSON');
      }
    }
    const body = openNdjsonBody(req, res);
    if (!body) return;
    // importLabels checks the key, project, dataset and mapping before it reads a line.
    const summary = await importLabels(db, principal, { projectId, dataset, kind, preset: param('preset'), mapping, lines: splitNdjsonLines(body.stream, MAX_LABEL_LINE_BYTES) }).catch((error: Error) => {
      if (isBodyReadError(body, error)) throw badInput(`the body could not be read: ${(body.readError() ?? error).message}`);
      throw error;
    });
    sendJson(res, 200, summary);
  } catch (error) {
    // Whatever was not read is drained, so the client gets the answer rather than a reset.
    req.resume();
    if (error instanceof ServiceError) sendJson(res, error.httpStatus, { error: { code: error.code, message: error.message } });
    else {
      console.error('label import failed', error);
      sendJson(res, 500, { error: { code: 'INTERNAL', message: 'the import failed; batches acknowledged before the failure are stored, re-sending is safe' } });
    }
  }
}
