import type { Clock } from '../core/clock.ts';
import type { FaultSwitch } from '../collect/types.ts';

/** What the timeline needs of a fault: its identity and its window, in ms since t = 0. */
export interface TimedFault {
  name: string;
  layer: 'http' | 'network';
  kind: string;
  fromMs: number;
  toMs: number;
}

/**
 * Where a fault is switched: the fixture providers (HTTP faults) or Toxiproxy (network
 * faults). `on`/`off` resolve once the fault is in force (or gone), optionally with the
 * epoch time the backend itself saw, which is the truer switch time.
 */
export interface FaultBackend<F extends TimedFault = TimedFault> {
  on(fault: F): Promise<number | void>;
  off(fault: F): Promise<number | void>;
}

export interface Timeline {
  /** When each fault was due and when it actually switched, in ms since t = 0. */
  readonly switches: FaultSwitch[];
  /** Cancels what has not started and switches off every fault still on; recorded as switched. */
  stop(): Promise<void>;
}

/**
 * Schedules every fault's on and off at its window's times relative to `t0` (epoch ms on
 * `clock`). A fault whose backend call fails is reported through `onError` and stays
 * recorded as not switched (`on: null`), so the report shows it instead of hiding it.
 */
export function startTimeline<F extends TimedFault>(
  faults: F[],
  backend: FaultBackend<F>,
  clock: Clock,
  t0: number,
  onError: (fault: F, phase: 'on' | 'off', err: unknown) => void,
): Timeline {
  const switches: FaultSwitch[] = faults.map((f) => ({
    fault: f.name,
    layer: f.layer,
    kind: f.kind,
    scheduledOn: f.fromMs,
    on: null,
    scheduledOff: f.toMs,
    off: null,
  }));
  const cancels: (() => void)[] = [];
  const inFlight = new Set<Promise<void>>();
  const isOn = new Set<number>();
  const turnedOn = new Map<number, Promise<void>>();

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    return p;
  };
  const at = (stamp: number | void) => (typeof stamp === 'number' ? stamp : clock.now()) - t0;

  const switchOn = (i: number) => {
    const p = track(
      backend.on(faults[i]!).then(
        (stamp) => {
          switches[i]!.on = at(stamp);
          isOn.add(i);
        },
        (err) => onError(faults[i]!, 'on', err),
      ),
    );
    turnedOn.set(i, p);
  };
  const switchOff = async (i: number) => {
    await turnedOn.get(i);
    if (!isOn.has(i)) return;
    isOn.delete(i);
    await track(
      backend.off(faults[i]!).then(
        (stamp) => {
          switches[i]!.off = at(stamp);
        },
        (err) => onError(faults[i]!, 'off', err),
      ),
    );
  };

  faults.forEach((f, i) => {
    const now = clock.now() - t0;
    cancels.push(clock.schedule(f.fromMs - now, () => switchOn(i)));
    cancels.push(clock.schedule(f.toMs - now, () => void switchOff(i)));
  });

  return {
    switches,
    async stop() {
      for (const cancel of cancels) cancel();
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...isOn].map((i) => switchOff(i)));
    },
  };
}
