"""ctexchange: the counter-terrorism exchange.

Members of a coalition pool signals (content fingerprints and designated entities), match against them and
act on the matches under human review. See README.md and docs/ for the shape of the system.
"""

__version__ = "0.1.0"
