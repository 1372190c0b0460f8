"""Parsers that turn designated-entity list files into `EntityRecord`s: pure code, no store.

`un_list` (UN Security Council Consolidated List XML, and the copy bundled with the package), `ftm`
(FollowTheMoney entity JSON lines) and `ofac_sdn` (OFAC's sdn.csv) each return a `lists.ParsedList` or
raise `InvalidInput` naming the entry and the field. `countries` and `dates` hold what they share.
"""
