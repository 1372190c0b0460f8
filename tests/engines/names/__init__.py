"""Tests of the names engine."""
