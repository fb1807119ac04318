import { bandwidth } from './bandwidth.ts';
import { latency } from './latency.ts';
import { limitData } from './limit-data.ts';
import { resetPeer } from './reset-peer.ts';
import { slicer } from './slicer.ts';
import { slowClose } from './slow-close.ts';
import { timeout } from './timeout.ts';
import type { ToxicKind } from './toxic.ts';

export type { Attributes, AttributeSpec, Chunk, Held, Stage, StageContext, StageOutput, ToxicKind } from './toxic.ts';
export { bandwidth, latency, limitData, resetPeer, slicer, slowClose, timeout };

/** The toxic types the server knows, by their API name (Toxiproxy's registry). */
export const TOXIC_KINDS: ReadonlyMap<string, ToxicKind> = new Map<string, ToxicKind>(
  [latency, bandwidth, slowClose, timeout, resetPeer, slicer, limitData].map((k) => [k.type, k as ToxicKind]),
);
