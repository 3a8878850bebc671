"""Benchmarks: ``python -m bench`` times the meta-analysis engine against R metafor.

Other scripts here time the site build (``python -m bench.build_bench``) and page weight
(``python -m bench.page_weight``). Results are written to ``bench/results/``.
"""
