// `flywheel export VERSION_ID`: downloads an eval set version in one of the export formats.
import { writeFile } from 'node:fs/promises';
import { resolveKey } from './ingest';

export async function exportEvalSetVersion(versionId: string, options: { format: string; out?: string; url: string; key?: string; dataDir: string }): Promise<string> {
  const key = await resolveKey(options);
  const url = new URL(`/v1/eval-set-versions/${encodeURIComponent(versionId)}/export`, options.url);
  url.searchParams.set('format', options.format);
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const body = await response.text();
  if (!response.ok) {
    const error = (JSON.parse(body) as { error: { code: string; message: string } }).error;
    throw new Error(`${response.status} ${error.code}: ${error.message}`);
  }
  if (options.out) await writeFile(options.out, body);
  return body;
}
