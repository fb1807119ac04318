/**
 * The issues config loading reports: one problem, positioned at the node a person should look
 * at, and how issues are ordered, deduplicated and printed. Callers' own semantic checks make
 * theirs with `issueAt`, so every issue a file has reads the same way.
 */

/** One problem in a config file, positioned at the node a person should look at. */
export interface ConfigIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the document, as people write it: `faults[0].to`; empty for the whole document. */
  path: string;
  message: string;
  expected?: string;
  found?: string;
}

/** Maps a path inside the document (['faults', 0, 'to']) to its position; falls back to the nearest existing ancestor. */
export type Locate = (path: (string | number)[]) => { line: number; column: number };

/**
 * One line per issue, `file:line:col  path  message (expected X, found Y)`, ordered by file and
 * position. What a file's author wrote (keys, names, values) reaches the text as written, so
 * every field passes through `printable`: control characters escaped, long words shortened.
 */
export function formatIssues(issues: ConfigIssue[]): string {
  return sortIssues(issues)
    .map((i) => {
      const extra = [i.expected && `expected ${printable(i.expected)}`, i.found && `found ${printable(i.found)}`].filter(Boolean).join(', ');
      return `${printable(i.file)}:${i.line}:${i.column}  ${i.path ? printable(i.path) : '(root)'}  ${printable(i.message)}${extra ? ` (${extra})` : ''}`;
    })
    .join('\n');
}

/** The longest word (run without spaces) `printable` keeps whole, and the longest text. */
const MAX_WORD = 80;
const MAX_TEXT = 400;

/**
 * Text from a file made safe for one line of a terminal: control characters (ESC, CR, LF,
 * C1, bidi overrides, line separators, lone surrogates) as escapes like `\x1b`, a word longer
 * than 80 characters (a 1 MB key) cut in its middle, and the whole cut at 400 characters.
 */
export function printable(text: string): string {
  const escaped = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
      const code = c.charCodeAt(0);
      return named[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
    },
  );
  // Cuts never leave half a surrogate pair behind.
  const head = (t: string, n: number) => t.slice(0, n).replace(/[\ud800-\udbff]$/, '');
  const tail = (t: string, n: number) => t.slice(-n).replace(/^[\udc00-\udfff]/, '');
  const words = escaped.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (w) => `${head(w, MAX_WORD - 20)}…(${w.length} chars)…${tail(w, 8)}`);
  return words.length > MAX_TEXT ? `${head(words, MAX_TEXT - 20)}…(${words.length} chars)` : words;
}

/** An issue at a path of a validated document: for semantic checks run after the schema. */
export function issueAt(
  locate: Locate,
  file: string,
  path: (string | number)[],
  message: string,
  extra?: { expected?: string; found?: string },
): ConfigIssue {
  const issue: ConfigIssue = { file, ...locate(path), path: formatPath(path), message };
  if (extra?.expected !== undefined) issue.expected = extra.expected;
  if (extra?.found !== undefined) issue.found = extra.found;
  return issue;
}

/** `['faults', 0, 'target', 'x-y']` → `faults[0].target["x-y"]`. */
export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Issues ordered by file, line, column, path: the order a person fixes them in. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

/** Drops an issue reported twice at one place and path (as two schema errors can be). */
export function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
