"""The evidence: reading and validating ``data/`` (with the project's own rules) and the
bibliography."""
