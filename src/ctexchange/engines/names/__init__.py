"""The names engine: screening names of persons and organizations across scripts.

Pure computation, no I/O at query time. The pieces, from the bottom up:

- `normalize`: one spelling for what only looks different (NFKC, case, invisible characters, Arabic
  letter forms, ё), and the script of a text;
- `translit`: the Latin renderings of a name in any script (ICU for Arabic and Cyrillic, pypinyin for
  Chinese);
- `variants`: canonical spellings, consonant skeletons and phonetic keys of romanised words;
- `tokens`: the parts of a rendering, with articles dropped and weights set;
- `organizations`: legal forms and acronyms;
- `compare`: the brute-force comparison of two names (`compare_names`);
- `score`: a query against one entity, with every feature explained (`score_entity`), and a query
  against its candidates, scoring only those that may reach the threshold (`screen_prepared`), and
  a batch of queries at once (`screen_many`);
- `bounds`: the upper bound of a name score that proves the others below it, for all candidates (of
  all the queries of a batch) at once;
- `index`: the candidate index that keeps scoring to a few entities (`CandidateIndex`);
- `kinds`: the `person` and `organization` signal kinds (`ENTITY_KINDS`).
"""
