// `flywheel ingest FILE`: streams an NDJSON file (gzip when it ends in .gz) to the
// service's POST /v1/traces with a progress bar, then prints the summary.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';
import type { IngestSummary } from '../services/ingestion/ingest-traces';

export interface IngestCliOptions {
  project?: string;
  url: string;
  key?: string;
  gzip?: boolean;
  dataDir: string;
}

type Summary = IngestSummary;

export async function resolveKey(options: { key?: string; dataDir: string }): Promise<string> {
  const key = options.key ?? process.env.FLYWHEEL_API_KEY ?? (await readFile(path.join(options.dataDir, 'admin.key'), 'utf8').then((s) => s.trim(), () => undefined));
  if (!key) throw new Error('no API key: pass --key, set FLYWHEEL_API_KEY, or run `npm start` once (it keeps the embedded admin key in .data/admin.key)');
  return key;
}

export function formatIngestSummary(summary: Summary): string {
  const lines = [
    `received ${summary.received}  accepted ${summary.accepted}  updated ${summary.updated}  duplicates ${summary.duplicates}  rejected ${summary.rejected}`,
    ...summary.errors.slice(0, 20).map((e) => `  ${e.reason}`),
  ];
  if (summary.errors.length > 20 || summary.errorsTruncated) lines.push(`  ... ${summary.rejected - Math.min(20, summary.errors.length)} more rejected lines`);
  return lines.join('\n');
}

/** Streams a file as the body of an NDJSON POST, with a progress bar; returns the JSON answer. */
export async function postNdjsonFile<T>(file: string, url: URL, key: string, gzip: boolean): Promise<T> {
  const size = (await stat(file)).size;
  const bar = new SingleBar({ format: 'uploading [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left', hideCursor: true, noTTYOutput: false }, Presets.shades_classic);
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  bar.start(mb(size), 0);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      bar.update(mb(sent));
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(file).pipe(counter)) as ReadableStream<Uint8Array>;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      body,
      duplex: 'half',
      // Node's fetch keeps a copy of a streamed body to replay it on a redirect, i.e. the
      // whole file in memory by the end (nodejs/undici#4058); this endpoint never redirects.
      redirect: 'error',
    } as RequestInit);
    const payload = (await response.json()) as T | { error: { code: string; message: string } };
    if (payload && typeof payload === 'object' && 'error' in payload) throw new Error(`${response.status} ${payload.error.code}: ${payload.error.message}`);
    return payload as T;
  } finally {
    bar.stop();
  }
}

export async function ingestFile(file: string, options: IngestCliOptions): Promise<Summary> {
  const key = await resolveKey(options);
  const url = new URL('/v1/traces', options.url);
  if (options.project) url.searchParams.set('projectId', options.project);
  return postNdjsonFile<Summary>(file, url, key, options.gzip ?? file.endsWith('.gz'));
}
