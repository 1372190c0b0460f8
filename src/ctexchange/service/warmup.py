"""Building the in-memory indexes when the server starts, rather than at the first query.

The screening index (`screening.EntityCache`) and the content indexes (`content_index.ContentIndexes`)
are loaded from the store the first time they are needed: for the UN and OFAC lists that is about ten
seconds, which the first analyst to screen a name, or the first platform to match an upload, would
wait. `ctx serve` starts a `Warmup` beside the API: one background thread refreshes both in turn,
while the API already answers (a query arriving meanwhile waits for the same lock, not for a second
load). A failed warm-up is logged and changes nothing: the first query loads the index as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from ctexchange.service.exchange import Exchange

log = structlog.get_logger("ctexchange.warmup")


class Warmup:
    """Refreshes an exchange's in-memory indexes once, on a background thread (`start`, `join`)."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.is_done = False
        self._thread = threading.Thread(target=self._run, name="ctx-index-warmup", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the thread to end (at most `timeout_s` seconds)."""
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        started = time.perf_counter()
        screening = self._warm("screening", self.exchange.screening.warm)
        content = self._warm("content", self.exchange.content.warm)
        self.is_done = screening and content
        entities = len(self.exchange.screening.cache.index)
        log.info("indexes.warm", entities=entities, seconds=round(time.perf_counter() - started, 2))

    @staticmethod
    def _warm(name: str, warm: Callable[[], object]) -> bool:
        try:
            warm()
        except Exception as exc:  # the lazy load at the first query remains
            log.warning("indexes.warmup.failed", index=name, error=type(exc).__name__)
            return False
        return True
