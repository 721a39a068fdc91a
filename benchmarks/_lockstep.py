"""Two trainings in two processes taking turns, one step each, so that whatever else loads the machine
loads both alike; each times only its own steps.

A shared process would not do: one heap changes how often the other loop's fresh (N, V) tensors fault their
pages in (the textbook loop's page faults per step doubled beside textrnn's in one process).

    turns = Turns.pair()                  # in the parent; the first side starts (together=True: both at once)
    ... each side calls take() before a step and give() after it (or trains with turns.callback())
"""

from __future__ import annotations

import multiprocessing
import time

SPAWN = multiprocessing.get_context("spawn")


class Turns:
    """One side of a pair: waits for its turn, takes one step, hands the turn over; counts its seconds."""

    def __init__(self, mine, theirs, ready) -> None:
        self.mine, self.theirs, self.ready = mine, theirs, ready
        self.seconds, self.steps, self.faults, self._start, self._faults = 0.0, 0, 0, 0.0, 0

    @staticmethod
    def pair(together: bool = False) -> tuple["Turns", "Turns"]:
        """together: no turns; both start at once (after both have read their data) and run side by side, as
        two jobs on two cores do; each side should then pin itself to a core of its own (pin)."""
        a, b, ready = SPAWN.Event(), SPAWN.Event(), SPAWN.Barrier(2)
        a.set()
        if together:
            b.set()
            return Turns(a, None, ready), Turns(b, None, ready)
        return Turns(a, b, ready), Turns(b, a, ready)

    def take(self) -> None:
        if self.steps == 0 and self._start == 0.0:
            self.ready.wait()  # neither starts while the other is still reading its data
        self.mine.wait()
        if self.theirs is not None:
            self.mine.clear()
        self._start, self._faults = time.perf_counter(), page_faults()

    def give(self) -> None:
        self.seconds += time.perf_counter() - self._start
        self.faults += page_faults() - self._faults
        self.steps += 1
        if self.theirs is not None:
            self.theirs.set()

    def callback(self):
        """A textrnn training callback that takes a turn for every training step."""
        from textrnn.training import Callback

        turns = self

        class TakeTurns(Callback):
            steps = 0

            def on_epoch_start(self, epoch, steps):
                self.steps = steps
                turns.take()

            def on_step(self, epoch, step, loss, tokens_per_s):
                turns.give()
                if step < self.steps:
                    turns.take()

        return TakeTurns()


def pin(core: int | None) -> None:
    """Run this process on one core (Linux), or leave it where it may run (None)."""
    import os

    if core is not None:
        os.sched_setaffinity(0, {core})


def page_faults() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def collect(workers, results, expected: int) -> list:
    """`expected` results from the workers' queue; if a worker dies first, stop the others and exit."""
    import queue

    got = []
    try:
        while len(got) < expected:
            try:
                got.append(results.get(timeout=2))
            except queue.Empty:
                failed = [w for w in workers if w.exitcode not in (None, 0)]
                if failed:
                    raise SystemExit(f"a benchmark process failed (exit code {failed[0].exitcode})") from None
    finally:
        for w in workers:
            if len(got) < expected:
                w.terminate()
            w.join()
    return got
