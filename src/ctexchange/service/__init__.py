"""Every use case of the exchange, independent of HTTP and the command line.

`Exchange` (in `exchange.py`) is the one object adapters hold. Each use case takes a `Caller` (who, in
which request), checks the caller's role, reads through the access rules of `access.py`, writes in one
transaction together with its audit event, and returns domain objects.
"""
