// Plain-text tables for terminals: columns padded to their widest cell, numbers right-aligned.
// Cells are user data too (release names): control characters, which a terminal would obey
// (colours, cursor moves, a cleared screen), are shown as U+FFFD.

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. */
  max?: number;
}

// C0 and C1 controls, DEL, and the bidi overrides that can make text read differently.
const UNPRINTABLE = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

const length = (s: string) => Array.from(s).length;

function cell(text: string, max: number | undefined): string {
  const clean = text.replace(UNPRINTABLE, '\uFFFD');
  if (max === undefined || length(clean) <= max) return clean;
  return `${Array.from(clean).slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** The table as lines: a header, a rule, one line per row; two spaces between columns. */
export function fixedWidthTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], indent = ''): string[] {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max)));
  const widths = columns.map((c, i) => Math.max(length(c.header), ...cells.map((r) => length(r[i]!))));
  const line = (values: string[]) =>
    indent +
    values
      .map((v, i) => {
        const pad = ' '.repeat(widths[i]! - length(v));
        return columns[i]!.align === 'right' ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), indent + widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
}
