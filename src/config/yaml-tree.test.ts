import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { keyAt, YamlTree } from './yaml-tree.ts';

function treeOf(text: string) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return { doc, tree: new YamlTree(doc, pos) };
}

describe('positions in a YAML document', () => {
  const { tree } = treeOf('name: a\nfaults:\n  - kind: error\n    to:\n  - &x {kind: latency}\nagain: *x\n');

  it('points a value at its source, an empty value at its key, a missing one at its nearest ancestor', () => {
    expect(tree.valueAt(['name'])).toEqual({ line: 1, column: 7 });
    expect(tree.valueAt(['faults', 0, 'kind'])).toEqual({ line: 3, column: 11 });
    expect(tree.valueAt(['faults', 0, 'to'])).toEqual({ line: 4, column: 5 });
    expect(tree.valueAt(['faults', 0, 'nothing'])).toEqual({ line: 3, column: 5 });
    expect(tree.valueAt(['faults', 1, 'kind'])).toEqual({ line: 5, column: 15 });
  });

  it('points a key at the key, a list item (which has none) at its value, and follows aliases', () => {
    expect(tree.keyAt(['faults'])).toEqual({ line: 2, column: 1 });
    expect(tree.keyAt(['faults', 1])).toEqual({ line: 5, column: 8 });
    expect(tree.valueAt(['again', 'kind'])).toEqual({ line: 5, column: 15 });
    expect(tree.nodeAt(['faults', 9])).toBeNull();
  });

  it('finds a duplicate key by the offset yaml reports, with its path', () => {
    const { doc } = treeOf('a:\n  - b: 1\n    b: 2\n');
    const dup = doc.errors.find((e) => e.code === 'DUPLICATE_KEY')!;
    expect(keyAt(doc, dup.pos[0])).toEqual({ key: 'b', path: ['a', 0, 'b'] });
  });
});
