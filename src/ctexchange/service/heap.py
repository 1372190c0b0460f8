"""How a process that holds the screening index in memory sets CPython's cyclic garbage collector.

The names engine keeps a tree of small objects for every indexed entity (its names, their renderings,
tokens, joined units and score bounds): about a million container objects for the UN and OFAC lists,
and its caches of words add hundreds of thousands more. CPython's cyclic collector walks every one of
them in each full collection. With the default thresholds (700, 10, 10), a batch of screening
queries, whose prepared names and candidates live as long as the batch, sets off a full collection
every few thousand queries. In the screening benchmark these collections took a third of the time
(docs/benchmarks.md). Two decisions follow; both are CPython's documented means (`gc.freeze`,
`gc.set_threshold`), and both change only when cyclic garbage is freed, never whether an object still
referenced is kept:

- `settle()` after a bulk load into the index collects once, then freezes what is alive
  (`gc.freeze`), so later collections skip it. Only within `tuned()`, in a long-running command: the
  collection takes more than a second with the UN and OFAC lists loaded, which a one-shot command such
  as `ctx screen NAME` would pay for nothing. The index holds no reference cycles, so what a later
  update drops is still freed by reference counting. Cyclic garbage among the frozen objects would
  never be freed, which is why `settle` collects first; what other threads hold at that moment (a
  request in flight) is frozen too, and stays if it later becomes a cycle: a few objects, once per
  large load.
- `tuned()` around a long-running command (`ctx serve`, `ctx screen-batch`) sets the thresholds to
  `THRESHOLDS`, and back when the command ends. The youngest generation is then collected every
  20,000 net allocations of containers instead of 700, and a full collection waits for 20
  collections of the middle one instead of 10. Cyclic garbage (a few objects per request) waits
  longer before it is freed; reference counting, which frees nearly everything, is unchanged.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (20_000, 20, 20)
SETTLE_AT = 5000
"""Entities loaded at once from which `settle` pays for itself (its full collection takes about a
second in a process holding the UN and OFAC lists; a smaller load makes a heap the collector walks fast)."""
_LONG_RUNS: list[bool] = []  # one entry per `tuned()` block running, whichever thread entered it


@contextmanager
def tuned() -> Iterator[None]:
    """Within the block, the collector's thresholds are those for a large index (`THRESHOLDS`)."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    _LONG_RUNS.append(True)
    try:
        yield
    finally:
        _LONG_RUNS.pop()
        gc.set_threshold(*before)


def settle() -> None:
    """Collect the garbage, then freeze every object alive, so later collections skip them; only
    within `tuned()` (nothing otherwise)."""
    if not _LONG_RUNS:
        return
    gc.collect()
    gc.freeze()
