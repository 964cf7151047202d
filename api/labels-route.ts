// POST /v1/labels?projectId=ID&dataset=NAME&kind=pairwise|pointwise[&preset=P][&mapping=JSON]:
// a JSONL file of labels or judge verdicts (optionally gzip) streamed into imported
// judgments. GraphQL's importLabels takes the same rows but holds the whole text in one
// request (8 MB at most); this route reads line by line, so a file of any size works.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/client';
import { badInput } from '../services/errors';
import { MAX_LABEL_LINE_BYTES, importLabels } from '../services/imports/import-labels';
import { splitNdjsonLines } from '../services/ingestion/ndjson-lines';
import { handleNdjsonUpload } from './ndjson-upload';
import type { RouteLogging } from './route-logging';

export const LABELS_PATH = '/v1/labels';

export async function handleLabelImport(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, options: RouteLogging = {}): Promise<void> {
  const param = (name: string) => url.searchParams.get(name);
  await handleNdjsonUpload(db, req, res, url, {
    bodyName: 'a JSONL body',
    accept: async (principal, projectId) => {
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
      return async (body) => {
        // importLabels checks the key, project, dataset and mapping before it reads a line.
        const summary = await importLabels(db, principal, { projectId, dataset, kind, preset: param('preset'), mapping, lines: splitNdjsonLines(body, MAX_LABEL_LINE_BYTES) });
        return { summary, logged: { projectId, dataset, kind, received: summary.received, imported: summary.imported, rejected: summary.rejected, firstErrors: summary.errors.slice(0, 5) } };
      };
    },
    logLines: { stored: 'labels imported', refused: 'label import refused', failed: 'label import failed' },
    failureMessage: 'the import failed; batches acknowledged before the failure are stored, re-sending is safe',
  }, options);
}
