"""Runs the simulation part of aws-samples/aws-arch-backoff-simulator (vendored verbatim beside
this file as backoff_simulator.py, Apache-2.0) under Python 3, without its plotting-free but
file-writing `run()`, and prints per-repetition figures as JSON.

The vendored module is Python 2 (`xrange`) and ends with a call to `run()`, which writes
backoff_results.csv and one ts_<strategy> file per strategy for 10..190 clients. This driver
parses the module, drops that one top-level call, supplies `xrange = range`, and calls the
module's own `setup_sim` and `run_sim` for the client counts asked, with a fresh `Stats` per
repetition (`run()` accumulates one Stats over 100 repetitions and divides by 100: the same
means). The per-write timestamp file is a sink that keeps nothing (the module still formats
each line, as it does in `run()`). Nothing else of the simulator is changed.

  /usr/bin/python3 bench/brooker/driver.py --clients 1,2,5,10,25,50,100 --reps 100 --seed 1
  /usr/bin/python3 bench/brooker/driver.py --clients 100 --reps 100 --seed 1 --summary   # the benchmark's workload
  /usr/bin/python3 bench/brooker/driver.py --clients 1,2,5,10,25,50,100 --reps 1000 --seed 1 --table > src/sim/herd/brooker-reference.json

Output (stdout, one JSON object): the source's identity, the arguments, and per (strategy,
clients) the per-repetition total calls (writes) and completion times, plus the wall and CPU
time of the simulation loops alone (set-up and run, not the interpreter's start or the import).
"""
import argparse
import ast
import datetime
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, 'backoff_simulator.py')
UPSTREAM = {
    'repository': 'https://github.com/aws-samples/aws-arch-backoff-simulator',
    'commit': '66cb169277051eea207dbef8c7f71767fe6af144',
    'path': 'src/backoff_simulator.py',
}

# Brooker's class → faultline's strategy name, in the order of the module's backoff_types.
STRATEGIES = (
    ('ExpoBackoff', 'exponential'),
    ('ExpoBackoffDecorr', 'decorrelated-jitter'),
    ('ExpoBackoffEqualJitter', 'equal-jitter'),
    ('ExpoBackoffFullJitter', 'full-jitter'),
    ('NoBackoff', 'no-backoff'),
)


class Sink:
    """Stands in for the ts_<strategy> file the module writes each write's time to."""

    def write(self, _line):
        pass


def load_simulator():
    with open(SOURCE, 'rb') as f:
        raw = f.read()
    blob = hashlib.sha1(b'blob %d\0' % len(raw) + raw).hexdigest()
    tree = ast.parse(raw.decode('utf-8'), SOURCE)
    body = [n for n in tree.body
            if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                    and isinstance(n.value.func, ast.Name) and n.value.func.id == 'run')]
    assert len(body) == len(tree.body) - 1, 'expected exactly one top-level run() call to drop'
    tree.body = body
    ns = {'__name__': 'backoff_simulator', 'xrange': range}
    exec(compile(tree, SOURCE, 'exec'), ns)
    return ns, blob


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--clients', default='1,2,5,10,25,50,100')
    p.add_argument('--reps', type=int, default=100)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--summary', action='store_true', help='totals and wall time only, no per-repetition figures')
    p.add_argument('--table', action='store_true', help="per-cell mean and standard deviation, with provenance: src/sim/herd/brooker-reference.json's format")
    a = p.parse_args()
    clients = [int(c) for c in a.clients.split(',')]
    if a.reps < 1 or a.reps > 100000 or any(c < 1 or c > 10000 for c in clients):
        sys.exit('reps must be 1..100000 and clients 1..10000')

    ns, blob = load_simulator()
    random.seed(a.seed)
    sink = Sink()
    rows = []
    total_calls = 0
    wall = 0.0
    cpu = 0.0
    for n in clients:
        for cls_name, strategy in STRATEGIES:
            cls = ns[cls_name]
            calls, times = [], []
            for _ in range(a.reps):
                stats = ns['Stats']()
                t0 = time.perf_counter()
                c0 = time.process_time()
                queue, stats = ns['setup_sim'](n, cls, sink, stats)
                tm = ns['run_sim'](queue)
                cpu += time.process_time() - c0
                wall += time.perf_counter() - t0
                calls.append(stats.calls)
                times.append(tm)
            total_calls += sum(calls)
            row = {'strategy': strategy, 'brooker': cls_name, 'clients': n}
            if a.table:
                row['calls'] = statistics.fmean(calls)
                row['time'] = statistics.fmean(times)
                row['callsSd'] = statistics.stdev(calls) if a.reps > 1 else 0.0
                row['timeSd'] = statistics.stdev(times) if a.reps > 1 else 0.0
            elif not a.summary:
                row['calls'] = calls
                row['times'] = times
            rows.append(row)
    if a.table:
        json.dump({
            'source': dict(UPSTREAM, blob=blob),
            'command': ' '.join(['/usr/bin/python3', 'bench/brooker/driver.py'] + sys.argv[1:]),
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
            'python': platform.python_version(),
            'seed': a.seed,
            'reps': a.reps,
            'wallSeconds': round(wall, 3),
            'rows': rows,
        }, sys.stdout, indent=1)
        sys.stdout.write('\n')
        return
    json.dump({
        'source': dict(UPSTREAM, blob=blob),
        'python': platform.python_version(),
        'seed': a.seed,
        'reps': a.reps,
        'clients': clients,
        'totalCalls': total_calls,
        'wallSeconds': wall,
        'cpuSeconds': cpu,
        'rows': rows,
    }, sys.stdout)
    sys.stdout.write('\n')


main()
