"""A child process for test_crash.py: adds signals in batches until it is killed.

Usage: python -m tests.store.crash_writer HOME DATABASE_URL START BATCH. Prints the number of signals
committed so far after every committed batch.
"""

from __future__ import annotations

import sys

from ctexchange.service.exchange import open_exchange
from ctexchange.service.signals import NewSignal
from ctexchange.settings import Settings


def main() -> None:
    """Add batches of signals forever, reporting each commit on stdout."""
    home, url, start, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    exchange = open_exchange(Settings(home=home, database_url=url, key_hash_cost=4))
    operator = exchange.operator("crash")
    n = start
    while True:
        items = [
            NewSignal("sha256", f"{i:064x}", ["propaganda", "recruitment", f"batch:{n // batch}"])
            for i in range(n, n + batch)
        ]
        exchange.signals.add_many(operator, "bank", items)
        n += batch
        print(n, flush=True)


if __name__ == "__main__":
    main()
