"""A writer killed with SIGKILL in the middle of a bulk insert leaves whole batches or nothing.

The child process adds signals in batches of 200 (one transaction each); the test kills it at a random
moment several times and checks, after each restart, that every signal is complete (all its labels, its
audit event), that only whole batches exist, that nothing it reported committed was lost, and that the
audit chain is intact.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ctexchange.domain.queries import SignalQuery
from ctexchange.service.exchange import open_exchange
from ctexchange.settings import Settings
from ctexchange.store import open_store
from tests.conftest import TEST_KEY_COST, initialised

BATCH = 200
KILLS = 3


def _prepare(home: Path, url: str) -> None:
    store = open_store(url)
    store.migrate()
    exchange = initialised(Settings(home=str(home), database_url=url, key_hash_cost=TEST_KEY_COST), store)
    exchange.collections.create(exchange.operator(), "bank", "GREEN")
    exchange.close()


def _run_and_kill(home: Path, url: str, start: int, rng: random.Random) -> int:
    """Start the writer, let it commit a few batches, SIGKILL it mid-batch; return the last reported count."""
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", str(home), url, str(start), str(BATCH)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported = start
    for _ in range(rng.randint(1, 3)):
        line = child.stdout.readline()
        assert line, "the writer died before committing a batch"
        reported = int(line)
    time.sleep(rng.uniform(0.0, 0.05))
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    child.wait()
    for line in rest.split():
        reported = int(line)
    return reported


def _check(home: Path, url: str, reported: int) -> int:
    exchange = open_exchange(Settings(home=str(home), database_url=url, key_hash_cost=TEST_KEY_COST))
    try:
        total = exchange.signals.count(exchange.operator(), SignalQuery())
        with exchange.store._read() as db:
            partial = db.scalar(
                "SELECT COUNT(*) FROM signals s WHERE s.label_count <> "
                "(SELECT COUNT(*) FROM signal_labels l WHERE l.signal_id = s.id)"
            )
            unaudited = db.scalar(
                "SELECT COUNT(*) FROM signals s WHERE NOT EXISTS (SELECT 1 FROM audit_events a "
                "WHERE a.action = 'signal.create' AND a.object_id = s.id)"
            )
            orphans = db.scalar(
                "SELECT COUNT(*) FROM signal_labels l WHERE NOT EXISTS "
                "(SELECT 1 FROM signals s WHERE s.id = l.signal_id)"
            )
        assert (partial, unaudited, orphans) == (0, 0, 0)
        assert total % BATCH == 0, f"{total} signals is not a whole number of batches"
        assert total >= reported, "a batch reported as committed was lost"
        assert exchange.audit.verify(exchange.operator()).is_intact
        return int(total)
    finally:
        exchange.close()


def test_sigkill_during_bulk_insert_leaves_whole_batches(store_url: str, tmp_path: Path) -> None:
    """After each SIGKILL and restart, every signal is fully there or absent, and the log is intact."""
    rng = random.Random(2354)
    _prepare(tmp_path, store_url)
    total = 0
    for _ in range(KILLS):
        reported = _run_and_kill(tmp_path, store_url, total, rng)
        total = _check(tmp_path, store_url, reported)
    assert total >= KILLS * BATCH
