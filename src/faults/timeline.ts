import type { Clock } from '../core/clock.ts';
import type { FaultRamp, FaultSwitch } from '../model/run.ts';

/** One step of a ramp: when it is due (ms since t = 0) and the parameter's value from then on. */
export interface TimedStep {
  atMs: number;
  value: number;
}

/**
 * What the timeline needs of a fault: its identity and its window, in ms since t = 0.
 * A fault that repeats or flaps comes as one TimedFault per occurrence, all with the same
 * `name`; the timeline switches them strictly in turn.
 */
export interface TimedFault<S extends TimedStep = TimedStep> {
  name: string;
  layer: 'http' | 'network';
  kind: string;
  shape?: string;
  /** 1-based, for a fault that repeats or flaps. */
  occurrence?: number;
  fromMs: number;
  toMs: number;
  /** A ramp: step 0 is what `on` applies (at `fromMs`); the backend's `step` applies the rest. */
  ramp?: { param: FaultRamp['param']; steps: S[] };
}

/**
 * Where a fault is switched: the fixture providers (HTTP faults) or Toxiproxy (network
 * faults). `on`/`off` resolve once the fault is in force (or gone), optionally with the
 * epoch time the backend itself saw, which is the truer switch time. `step` re-applies a
 * ramped fault with the parameters of `ramp.steps[index]` (index ≥ 1).
 */
export interface FaultBackend<F extends TimedFault = TimedFault> {
  on(fault: F): Promise<number | void>;
  off(fault: F): Promise<number | void>;
  step?(fault: F, index: number): Promise<number | void>;
}

/**
 * Switches each fault on, through its first ramp step, and off again, before t = 0 — when no
 * load flows, so nothing sees it — so that the run's first real switch of each does not pay
 * for cold code paths in the backend and its server (measured: the first switch of a kind
 * came 50–250 ms late without this, on a busy 2-core machine). One occurrence per fault
 * name; faults of different names in parallel, as they will switch.
 */
export async function primeFaults<F extends TimedFault>(faults: F[], backend: FaultBackend<F>): Promise<void> {
  const first = new Map<string, F>();
  for (const f of faults) if (!first.has(f.name)) first.set(f.name, f);
  await Promise.all(
    [...first.values()].map(async (f) => {
      await backend.on(f);
      try {
        if (backend.step && (f.ramp?.steps.length ?? 0) > 1) await backend.step(f, 1);
      } finally {
        await backend.off(f);
      }
    }),
  );
}

export interface Timeline {
  /**
   * When each fault (each occurrence) was due and when it actually switched, in ms since
   * t = 0, ramp steps included. After `stop`, occurrences the run never reached are left
   * out, except a fault's first, which stays to say it never switched on.
   */
  readonly switches: FaultSwitch[];
  /**
   * Cancels what has not started and switches off every fault still on; recorded as switched.
   * `endedAtMs` is when the run ended (ms since t = 0), default now: a fault switched off here
   * is marked `endedEarly` only if that is before its scheduled off. A run that completed
   * passes its planned end, because its load may finish a little before it (an open load
   * stops at its last arrival once nothing is in flight) and a fault due off at the run's end
   * then ran to the end, it was not cut short.
   */
  stop(endedAtMs?: number): Promise<void>;
}

export type SwitchPhase = 'on' | 'off' | 'step';

/**
 * Schedules every fault's on, ramp steps and off relative to `t0` (epoch ms on `clock`).
 * The switches of one fault name run strictly in order — an occurrence's off before the
 * next one's on, a step never after the off — each waiting for the one before, so a slow
 * backend delays a switch (and the delay is recorded) but never reorders them. Faults of
 * different names switch independently. A failed backend call is reported through
 * `onError` and recorded as not switched (`on`/`off`/`at` null), never hidden.
 */
export function startTimeline<F extends TimedFault>(
  faults: F[],
  backend: FaultBackend<F>,
  clock: Clock,
  t0: number,
  onError: (fault: F, phase: SwitchPhase, err: unknown) => void,
): Timeline {
  const switches: FaultSwitch[] = faults.map((f) => ({
    fault: f.name,
    layer: f.layer,
    kind: f.kind,
    ...(f.shape !== undefined && { shape: f.shape }),
    ...(f.occurrence !== undefined && { occurrence: f.occurrence }),
    scheduledOn: f.fromMs,
    on: null,
    scheduledOff: f.toMs,
    off: null,
    ...(f.ramp && { ramp: { param: f.ramp.param, steps: f.ramp.steps.map((s) => ({ scheduled: s.atMs, at: null, value: s.value })) } }),
  }));
  const cancels: (() => void)[] = [];
  /** The tail of each fault name's queue of switches. */
  const queues = new Map<string, Promise<void>>();
  const isOn = new Set<number>();
  /** Occurrences whose switch-on was queued (its time came): they stay in `switches` after stop. */
  const reached = new Set<number>();
  const offQueued = new Set<number>();
  let stopped = false;

  const at = (stamp: number | void) => (typeof stamp === 'number' ? stamp : clock.now()) - t0;
  const enqueue = (i: number, op: () => Promise<void>) => {
    const name = faults[i]!.name;
    const next = (queues.get(name) ?? Promise.resolve()).then(op);
    queues.set(name, next);
    return next;
  };

  const switchOn = (i: number) => {
    reached.add(i);
    return enqueue(i, async () => {
      try {
        const stamp = await backend.on(faults[i]!);
        switches[i]!.on = at(stamp);
        const first = switches[i]!.ramp?.steps[0];
        if (first) first.at = switches[i]!.on;
        isOn.add(i);
      } catch (err) {
        onError(faults[i]!, 'on', err);
        // A switch-on that failed half-way (one region of two, one toxic of two) must not leave the half behind.
        await backend.off(faults[i]!).catch(() => {});
      }
    });
  };
  const step = (i: number, k: number) =>
    enqueue(i, async () => {
      if (!isOn.has(i) || !backend.step) return;
      try {
        const stamp = await backend.step(faults[i]!, k);
        switches[i]!.ramp!.steps[k]!.at = at(stamp);
      } catch (err) {
        onError(faults[i]!, 'step', err);
      }
    });
  /** `stoppedAt`: when stop() was called (ms since t = 0), for a switch-off it makes rather than the schedule. */
  const switchOff = (i: number, stoppedAt?: number) => {
    offQueued.add(i);
    return enqueue(i, async () => {
      if (!isOn.has(i)) return;
      isOn.delete(i);
      try {
        const stamp = await backend.off(faults[i]!);
        switches[i]!.off = at(stamp);
        // Cut short: the run stopped before the off was due (however long the off then took).
        if (stoppedAt !== undefined && stoppedAt < faults[i]!.toMs) switches[i]!.endedEarly = true;
      } catch (err) {
        onError(faults[i]!, 'off', err);
      }
    });
  };

  const now = clock.now() - t0;
  faults.forEach((f, i) => {
    cancels.push(clock.schedule(f.fromMs - now, () => void switchOn(i)));
    f.ramp?.steps.forEach((s, k) => {
      if (k > 0) cancels.push(clock.schedule(s.atMs - now, () => void step(i, k)));
    });
    cancels.push(clock.schedule(f.toMs - now, () => void switchOff(i)));
  });

  return {
    get switches() {
      if (!stopped) return switches;
      return switches.filter((s, i) => reached.has(i) || (s.occurrence ?? 1) === 1);
    },
    async stop(endedAtMs?: number) {
      stopped = true;
      const stoppedAt = endedAtMs ?? clock.now() - t0;
      for (const cancel of cancels) cancel();
      // Whatever was switched on (or is being switched on) and not yet off is switched off now, in turn.
      const offs = [...reached].filter((i) => !offQueued.has(i)).map((i) => switchOff(i, stoppedAt));
      await Promise.allSettled([...offs, ...queues.values()]);
    },
  };
}
