"""Surveillance: the living review's scheduled search and integrity watch.

* :mod:`.fetch`: the APIs' JSON, live (polite: identification, rate limits, timeouts,
  retries with back-off) or replayed from recorded responses (``--offline DIR``);
* :mod:`.sources`: the eligibility search of ``data/search.yaml`` against PubMed,
  Europe PMC and ClinicalTrials.gov, and the parsers of their documented formats;
* :mod:`.register`: the register's identifiers (PMID, DOI, NCT, normalised title);
* :mod:`.screen`: candidates deduplicated across sources and against the register, each
  with the rule that made it a candidate and why it may be out of scope;
* :mod:`.run`: one run, each failing source one line while the others report;
* :mod:`.integrity`: Crossref updates (retraction, correction, expression of concern)
  and ClinicalTrials.gov posted results of the register's trials; the release check;
* :mod:`.issues`: one GitHub issue per new candidate, per pending trial ("counts
  wanted") and per integrity update, never two for one trial (a hidden marker);
* :mod:`.github`: the GitHub REST calls the issues need.

``python -m analysis surveil`` (:mod:`analysis.cli.surveil`) runs it.
"""
