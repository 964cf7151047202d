// The few SVG building blocks the charts need. Every text and attribute value goes through
// escapeXml: release names, slices and readings are user data, and a chart is inlined
// into a page.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Characters XML 1.0 forbids even when escaped (C0 controls but tab/newline/return,
// U+FFFE/U+FFFF, lone surrogates): a parser would reject the whole chart.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** At most `max` characters (code points), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

type AttrValue = string | number | null | undefined;

/** Coordinates to 0.01 px: enough for any screen, and keeps the markup small. */
export const px = (v: number) => String(Math.round(v * 100) / 100);

function attributes(attrs: Record<string, AttrValue>): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${typeof value === 'number' ? px(value) : escapeXml(value)}"`)
    .join('');
}

/** An element whose children are already markup (built with these helpers). */
export function el(name: string, attrs: Record<string, AttrValue>, children: string | string[] = ''): string {
  const inner = Array.isArray(children) ? children.join('') : children;
  return inner ? `<${name}${attributes(attrs)}>${inner}</${name}>` : `<${name}${attributes(attrs)}/>`;
}

/** A text element; `content` is plain text and is escaped here. */
export function textEl(content: string, attrs: Record<string, AttrValue>): string {
  return `<text${attributes(attrs)}>${escapeXml(content)}</text>`;
}

/** A tooltip (`<title>`) child; plain text, escaped. */
export function tooltip(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}

/** Greedy word wrap to lines of at most `max` characters (a longer word gets its own line, cut). */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!line) line = word;
    else if (Array.from(line).length + 1 + Array.from(word).length <= max) line += ` ${word}`;
    else {
      lines.push(truncate(line, max));
      line = word;
    }
  }
  if (line) lines.push(truncate(line, max));
  return lines;
}

/** A number for people: fixed digits, `-0.00` shown as `0.00`. */
export function formatNumber(value: number, digits = 2): string {
  const fixed = value.toFixed(digits);
  return /^-0\.?0*$/.test(fixed) ? fixed.slice(1) : fixed;
}
