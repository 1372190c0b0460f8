"""The data files the list-parser tests read: excerpts of real lists in tests/data (see its SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def read_data(name: str) -> bytes:
    """Return the bytes of a file in tests/data."""
    return (DATA / name).read_bytes()
