"""Numbered SQL migrations shared by both backends (see `ctexchange.store.base`)."""
