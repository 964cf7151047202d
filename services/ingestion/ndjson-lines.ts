// Splits a byte stream into NDJSON lines without ever holding more than one line
// (capped at maxLineBytes) in memory, so a 1 GB upload stays flat.
export type NdjsonLine = { line: number; text: string } | { line: number; oversizeBytes: number };

const NEWLINE = 0x0a;

export async function* splitNdjsonLines(chunks: AsyncIterable<Buffer | Uint8Array | string>, maxLineBytes: number): AsyncGenerator<NdjsonLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let oversize = false;
  let lineNumber = 0;

  const finish = (): NdjsonLine => {
    lineNumber += 1;
    const item: NdjsonLine = oversize ? { line: lineNumber, oversizeBytes: size } : { line: lineNumber, text: Buffer.concat(parts, size).toString('utf8') };
    parts = [];
    size = 0;
    oversize = false;
    return item;
  };
  const append = (piece: Buffer) => {
    size += piece.length;
    // Past the limit the line is only counted, never kept.
    if (size > maxLineBytes) {
      oversize = true;
      parts = [];
    } else if (piece.length > 0) parts.push(piece);
  };

  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      append(chunk.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    if (start < chunk.length) append(Buffer.from(chunk.subarray(start)));
  }
  if (size > 0) yield finish();
}
