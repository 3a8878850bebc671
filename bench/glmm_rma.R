# Time metafor's rma.glmm inside R (after library(metafor)): Rscript bench/glmm_rma.R FILE MODEL
# Prints one line: seconds b tau2 (the fit is run once: it takes seconds to minutes).
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
t <- system.time(r <- suppressWarnings(rma.glmm(measure = "OR", ai = ivig_improved,
  n1i = ivig_total, ci = control_improved, n2i = control_total, data = d, model = args[2])))
cat(sprintf("%.4f %.10g %.10g\n", t[["elapsed"]], r$beta[1], r$tau2))
