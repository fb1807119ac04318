/**
 * What a document must not be for the rest of faultline to survive walking it: nested too
 * deeply (a stack overflow), aliases that refer to nothing, contain themselves or expand too
 * far (an alias bomb), numbers beyond a double (Infinity); and yaml's syntax messages in
 * faultline's words.
 */
import { isAlias, isCollection, isPair, isScalar, visit, type Document, type Node } from 'yaml';
import { formatPath, type ConfigIssue, type Locate } from './issues.ts';
import type { Path, Pos } from './yaml-tree.ts';

/** How deep mappings and lists may nest: far beyond any real config, far below a stack overflow. */
export const MAX_DEPTH = 64;
/** Alias expansions yaml performs before it calls a document an alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** yaml's messages, in terms of what faultline expects. */
export function syntaxMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a second YAML document (after `---`): a faultline file holds exactly one; remove the `---` line, or put each document in a file of its own';
  if (code === 'RESOURCE_EXHAUSTION' || /call stack/i.test(message)) return `nested too deeply to read (at most ${MAX_DEPTH} levels of mappings and lists)`;
  return message;
}

/**
 * Nesting deeper than MAX_DEPTH, aliases without an anchor before them, and aliases inside
 * their own anchor (a cycle no consumer could walk). Recurses at most MAX_DEPTH levels.
 */
export function checkStructure(doc: Document, file: string, pos: (offset: number) => Pos): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (node: Node | null | undefined, message: string) =>
    issues.push({ file, ...(node?.range ? pos(node.range[0]) : { line: 1, column: 1 }), path: '', message });
  const tooDeep = `nested too deeply: at most ${MAX_DEPTH} levels of mappings and lists`;
  const anchors = new Map<string, Node>();
  /** How many levels each anchored node holds, aliases expanded: an alias adds its anchor's. */
  const heights = new Map<Node, number>();
  const open = new Set<Node>();
  /** The levels below `node` (0 for a scalar), or -1 when the walk stopped at an issue. */
  const walk = (node: unknown, depth: number): number => {
    if (node === null || typeof node !== 'object') return 0;
    if (isAlias(node)) {
      const found = anchors.get(node.source);
      if (!found) at(node, `alias \`*${node.source}\` refers to no anchor: \`&${node.source}\` must be set before it`);
      else if (open.has(found)) at(node, `alias \`*${node.source}\` is inside its own anchor \`&${node.source}\`: the value would contain itself`);
      else if (depth + (heights.get(found) ?? 0) > MAX_DEPTH) at(node, tooDeep);
      else return heights.get(found) ?? 0;
      return issues.length < 20 ? 0 : -1;
    }
    if (!isScalar(node) && !isCollection(node)) return 0;
    const n = node as Node;
    if (n.anchor) anchors.set(n.anchor, n);
    if (!isCollection(n)) return 0;
    if (depth >= MAX_DEPTH) {
      at(n, tooDeep);
      return -1;
    }
    open.add(n);
    let height = 0;
    for (const item of n.items as unknown[]) {
      for (const child of isPair(item) ? [item.key, item.value] : [item]) {
        const h = walk(child, depth + 1);
        if (h < 0) return -1;
        height = Math.max(height, h + 1);
      }
    }
    open.delete(n);
    heights.set(n, height);
    return height;
  };
  walk(doc.contents, 0);
  return issues;
}

export function firstAlias(doc: Document): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** Numbers too large (or too small) for a double, `.inf` and `.nan`: no quantity can be Infinity. */
export function nonFiniteNumbers(value: unknown, file: string, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: Path) => {
    if (issues.length >= 20) return;
    if (typeof v === 'number' && !Number.isFinite(v)) {
      issues.push({ file, ...locate(path), path: formatPath(path), message: Number.isNaN(v) ? 'not a number' : 'number too large to be read exactly (it reads as infinity)' });
    } else if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      if (v instanceof Map) for (const [k, x] of v) walk(x, [...path, String(k)]);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    }
  };
  walk(value, []);
  return issues;
}
