"""Statistics: effect sizes, common-effect and random-effects models, tau², heterogeneity,
small-study effects, influence, cumulative and subgroup analyses, absolute effects, and the
full analysis. Arrays in, frozen result objects out; no file I/O, no pandas in the estimators."""
