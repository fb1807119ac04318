/**
 * Positions in a parsed YAML document: a path inside the value (`['faults', 0, 'to']`) back to
 * the node, key and line:column it came from, so an issue points at the source as written.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';

/** A path inside the document's value: keys and list indexes. */
export type Path = (string | number)[];

/** 1-based line and column in the file. */
export type Pos = { line: number; column: number };

/** Walks the YAML node tree along a path, so a value's issue can point at its source. */
export class YamlTree {
  #doc: Document;
  #pos: (offset: number) => Pos;

  constructor(doc: Document, pos: (offset: number) => Pos) {
    this.#doc = doc;
    this.#pos = pos;
  }

  /** The node at `path` (null if absent) — used for the source text of a found value. */
  nodeAt(path: Path): Node | null {
    const r = this.#walk(path);
    return r.complete ? r.node : null;
  }

  /** The value's position; an empty value (`to:`) or a missing one points at its key or nearest ancestor. */
  valueAt(path: Path): Pos {
    const r = this.#walk(path);
    const range = r.node?.range;
    if (range && range[1] > range[0]) return this.#pos(range[0]);
    if (r.key?.range) return this.#pos(r.key.range[0]);
    if (range) return this.#pos(range[0]);
    return { line: 1, column: 1 };
  }

  /** A key's position (for unknown fields and objects missing a field); a list item has no key, so its value. */
  keyAt(path: Path): Pos {
    const r = this.#walk(path);
    if (r.complete && r.key?.range) return this.#pos(r.key.range[0]);
    return this.valueAt(path);
  }

  #walk(path: Path): { node: Node | null; key: Node | null; complete: boolean } {
    let node = (this.#doc.contents ?? null) as Node | null;
    let key: Node | null = null;
    for (const seg of path) {
      if (node && isAlias(node)) node = (node.resolve(this.#doc) ?? null) as Node | null;
      if (isMap(node)) {
        const pair = node.items.find((p) => scalarKey(p.key) === String(seg));
        if (!pair) return { node, key, complete: false };
        key = pair.key as Node;
        node = (pair.value ?? null) as Node | null;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        key = null;
        node = (node.items[seg] ?? null) as Node | null;
      } else {
        return { node, key, complete: false };
      }
    }
    return { node, key, complete: true };
  }
}

/** The key whose node starts at `offset`, and its path (yaml reports a duplicate key by its first character only). */
export function keyAt(doc: Document, offset: number): { key: string; path: Path } | undefined {
  let found: { key: string; path: Path } | undefined;
  visit(doc, {
    Pair(_, pair, ancestors) {
      const key = pair.key as Node | null;
      if (key?.range?.[0] !== offset) return undefined;
      const chain = [...ancestors, pair];
      const path: Path = [];
      chain.forEach((n, i) => {
        if (isPair(n)) path.push(scalarKey(n.key));
        else if (isSeq(n)) path.push(n.items.indexOf(chain[i + 1] as never));
      });
      found = { key: scalarKey(key), path };
      return visit.BREAK;
    },
  });
  return found;
}

/** A mapping key as a path segment: its scalar value as text. */
export function scalarKey(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}
