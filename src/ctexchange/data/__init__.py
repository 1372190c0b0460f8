"""Data files that ship with ctexchange: the UN Security Council Consolidated List (see SOURCES.md).

Read them with `importlib.resources` (`ctexchange.interop.un_list.bundled_un_list`), never by path, so they
work from a wheel as well as from a checkout.
"""
