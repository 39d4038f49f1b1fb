"""Timing A against B on a machine whose speed drifts: both in one process,
alternating which goes first each round, medians over rounds. Used by
ab_libraries.py and oneshot_overhead.py."""

import statistics
import time

CALLS_PER_ROUND = 5


def interleaved(fa, fb, rounds, elements):
    """Medians of fa and fb in ns per element (`elements` per call): three
    warm-up calls each, then `rounds` rounds of CALLS_PER_ROUND calls of
    each, A then B in even rounds, B then A in odd ones."""
    for f in (fa, fb):
        for _ in range(3):
            f()
    ta, tb = [], []
    for i in range(rounds):
        pair = ((fa, ta), (fb, tb)) if i % 2 == 0 else ((fb, tb), (fa, ta))
        for f, times in pair:
            t0 = time.perf_counter()
            for _ in range(CALLS_PER_ROUND):
                f()
            times.append((time.perf_counter() - t0) / CALLS_PER_ROUND / elements * 1e9)
    return statistics.median(ta), statistics.median(tb)
