/**
 * `${VAR}` in config values: replaced after the YAML is parsed, in each string scalar (never
 * in keys), so every line and column still points at the file as written.
 *
 * - `${NAME}`: the variable's value; NAME is letters, digits and `_`, not starting with a digit.
 * - `${NAME:-default}`: the default when NAME is unset or empty (as the shell's).
 * - `$${`: a literal `${`.
 * - `{{...}}` is left alone: it is a run-time template (a provider's address), not a variable.
 *
 * An unquoted value that is only substitutions is read again as YAML, so `seed: ${SEED}` with
 * SEED=7 is the number 7 and `enabled: ${ON}` with ON=true a boolean; a quoted one stays a string.
 *
 * @example
 *   interpolateString('http://${HOST:-127.0.0.1}:${PORT}', lookupIn({ PORT: '8080' }))
 *   // { value: 'http://127.0.0.1:8080', problems: [] }
 */
import { isPair, isScalar, isSeq, parseDocument, Scalar, visit, type Document, type Node } from 'yaml';

/** The value of a variable, or undefined when it is not set. */
export type VarLookup = (name: string) => string | undefined;

/**
 * Variables from `vars` first (e.g. `-e KEY=VALUE`), then `env` (e.g. the process environment).
 *
 * @example lookupIn({ RATE: '20/s' }, process.env)('RATE') // '20/s'
 */
export function lookupIn(vars: Readonly<Record<string, string>> = {}, env: Readonly<Record<string, string | undefined>> = {}): VarLookup {
  return (name) => (Object.hasOwn(vars, name) ? vars[name] : Object.hasOwn(env, name) ? env[name] : undefined);
}

/** A substitution that could not be made: where in the string it starts, and why. */
export interface InterpolationProblem {
  /** Index into the string of the `$` that starts it. */
  index: number;
  /** The variable, when the reference was well formed. */
  name?: string;
  message: string;
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Replaces every `${...}` in `s`; an unset variable without a default is a problem and is left as written. */
export function interpolateString(s: string, lookup: VarLookup): { value: string; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  if (!s.includes('${')) return { value: s, problems };
  const value = s.replace(REFERENCE, (match: string, body: string | undefined, index: number) => {
    if (match === '$${') return '${';
    if (body === undefined) {
      problems.push({ index, message: 'unclosed `${`: write `${NAME}`, or `$${` for a literal `${`' });
      return match;
    }
    const sep = body.indexOf(':-');
    const name = sep >= 0 ? body.slice(0, sep) : body;
    if (!NAME.test(name)) {
      problems.push({ index, message: `\`${match}\` is not a variable reference (expected \`\${NAME}\` or \`\${NAME:-default}\`; NAME is letters, digits and _)` });
      return match;
    }
    const v = lookup(name);
    if (sep >= 0 && (v === undefined || v === '')) return body.slice(sep + 2);
    if (v === undefined) {
      problems.push({
        index,
        name,
        message: `undefined variable \`${name}\` (set it with -e ${name}=... or in the environment, or give a default: \`\${${name}:-value}\`)`,
      });
      return match;
    }
    return v;
  });
  return { value, problems };
}

/** A problem found in a document: the path of the value, and the offset in the text where the reference starts. */
export interface DocumentInterpolationProblem {
  path: (string | number)[];
  offset: number;
  message: string;
}

/**
 * Interpolates every string scalar value of `doc` in place; `text` is the source it was
 * parsed from (for the exact column of each problem). Keys are not interpolated.
 */
export function interpolateDocument(doc: Document, text: string, lookup: VarLookup): DocumentInterpolationProblem[] {
  const problems: DocumentInterpolationProblem[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const r = interpolateString(node.value, lookup);
      if (r.problems.length) {
        const path = pathOf(ancestors, node);
        const start = node.range?.[0] ?? 0;
        const source = node.range ? text.slice(node.range[0], node.range[1]) : '';
        let from = 0;
        for (const p of r.problems) {
          // The reference as written in the source (escapes aside, at the same place in the value).
          const ref = node.value.slice(p.index, p.index + (p.name ? p.name.length + 2 : 2));
          const at = source.indexOf(ref, from);
          if (at >= 0) from = at + 1;
          problems.push({ path, offset: at >= 0 ? start + at : start, message: p.message });
        }
        return;
      }
      if (r.value === node.value) return;
      node.value = node.type === Scalar.PLAIN ? retype(r.value) : r.value;
    },
  });
  return problems;
}

/** An unquoted value read again as YAML: a number, a boolean, or the string itself. */
function retype(s: string): unknown {
  const parsed = parseDocument(s).contents;
  if (isScalar(parsed) && parsed.value !== null && typeof parsed.value !== 'string') return parsed.value;
  return s;
}

function pathOf(ancestors: readonly unknown[], node: Node): (string | number)[] {
  const chain = [...ancestors, node];
  const path: (string | number)[] = [];
  chain.forEach((n, i) => {
    if (isPair(n)) path.push(isScalar(n.key) ? String(n.key.value) : String(n.key));
    else if (isSeq(n)) path.push(n.items.indexOf(chain[i + 1] as never));
  });
  return path;
}
