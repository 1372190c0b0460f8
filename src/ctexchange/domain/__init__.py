"""The concepts of ctexchange as frozen dataclasses and enums: no I/O, no framework.

Everything above (engines, store, service, adapters) speaks in these types.
"""
