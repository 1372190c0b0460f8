"""Fixtures for the list parsers: the UN list bundled with the package, parsed once."""

from __future__ import annotations

import pytest

from ctexchange.interop.lists import ParsedList
from ctexchange.interop.un_list import bundled_un_list, parse_un_list


@pytest.fixture(scope="session")
def bundled_un() -> ParsedList:
    """The full UN Consolidated List that ships with the package, parsed once per session."""
    return parse_un_list(bundled_un_list())
