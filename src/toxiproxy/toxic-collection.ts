/**
 * A proxy's toxics: one ordered chain per direction, and the links (open connections) they
 * apply to. Every change is pushed to the live links at once, so a toxic added while a
 * connection is open affects that connection (Toxiproxy's `toxic_collection.go`).
 */
import { ErrToxicAlreadyExists, ErrToxicNotFound } from './api-error.ts';
import type { Link } from './link.ts';
import { parseToxicUpdate, type Direction, type Result, type ToxicInput } from './schema.ts';

/** A toxic as the API shows it. Field order follows Toxiproxy's JSON. */
export interface ToxicJson {
  attributes: Record<string, number>;
  name: string;
  type: string;
  stream: Direction;
  toxicity: number;
}

export function toxicJson(t: ToxicInput): ToxicJson {
  return { attributes: { ...t.attributes }, name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity };
}

export class ToxicCollection {
  #chains: Record<Direction, ToxicInput[]> = { upstream: [], downstream: [] };
  #links = new Set<Link>();

  /** Upstream toxics first, then downstream, each in the order added (as Toxiproxy lists them). */
  list(): ToxicInput[] {
    return [...this.#chains.upstream, ...this.#chains.downstream];
  }

  chain(direction: Direction): readonly ToxicInput[] {
    return this.#chains[direction];
  }

  get(name: string): ToxicInput {
    const t = this.list().find((x) => x.name === name);
    if (!t) throw ErrToxicNotFound;
    return t;
  }

  /** Names are unique across both directions. */
  add(toxic: ToxicInput): ToxicInput {
    if (this.list().some((x) => x.name === toxic.name)) throw ErrToxicAlreadyExists;
    this.#chains[toxic.stream].push(toxic);
    for (const link of this.#links) if (link.direction === toxic.stream) link.addToxic(toxic);
    return toxic;
  }

  /** Validates `body` against the current toxic; applies it only if valid. */
  update(name: string, body: unknown): Result<ToxicInput> {
    const current = this.get(name);
    const parsed = parseToxicUpdate(body, current);
    if (!parsed.ok) return parsed;
    const chain = this.#chains[current.stream];
    chain[chain.indexOf(current)] = parsed.value;
    for (const link of this.#links) if (link.direction === current.stream) link.updateToxic(parsed.value);
    return parsed;
  }

  remove(name: string): void {
    const current = this.get(name);
    const chain = this.#chains[current.stream];
    chain.splice(chain.indexOf(current), 1);
    // Copy: removing a timeout toxic closes connections, which detaches their links.
    for (const link of [...this.#links]) if (link.direction === current.stream) link.removeToxic(name);
  }

  /** Removes every toxic, releasing whatever they held on open connections. */
  reset(): void {
    for (const t of this.list().reverse()) this.remove(t.name);
  }

  attach(link: Link): void {
    this.#links.add(link);
  }

  detach(link: Link): void {
    this.#links.delete(link);
  }
}
