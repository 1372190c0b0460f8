"""PostgreSQL specifics that the contract suite does not cover."""

from __future__ import annotations

import socket

import pytest

from ctexchange.errors import StoreUnavailable
from ctexchange.store import open_store


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_one_clear_error_without_the_password() -> None:
    """A refused connection is StoreUnavailable naming the reason, never echoing the password."""
    url = f"postgresql://ctx:hunter2@127.0.0.1:{_closed_port()}/ctx"
    with pytest.raises(StoreUnavailable) as info:
        open_store(url)
    assert "refused" in info.value.message.lower()
    assert "hunter2" not in info.value.message
    assert info.value.field == "database_url"


def test_unknown_scheme_is_refused() -> None:
    """A URL that is neither sqlite:/// nor postgresql:// is invalid input naming database_url."""
    with pytest.raises(Exception, match="database_url"):
        open_store("mysql://root@localhost/ctx")
