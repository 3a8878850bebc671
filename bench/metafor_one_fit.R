# One metafor REML fit (escalc + rma) on FILE.csv; prints its seconds. Used by
# `python -m bench` where the full R analysis would take too long (k = 2000).
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
dat <- escalc("RR", ai = ivig_improved, n1i = ivig_total, ci = control_improved,
              n2i = control_total, data = d)
start <- proc.time()[["elapsed"]]
m <- rma(yi, vi, data = dat, method = "REML")
cat("seconds", proc.time()[["elapsed"]] - start, "\n")
