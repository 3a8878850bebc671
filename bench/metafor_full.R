# The full analysis of `python -m analysis meta FILE --by subgroup --json`, in R metafor:
# escalc, rma.mh, rma (REML), confint, predict, regtest, ranktest, trimfill, leave1out,
# cumul and one rma per subgroup. Used by `python -m bench` (bench/meta_bench.py).
# Usage: Rscript bench/metafor_full.R FILE.csv
# Prints a few figures as "name value" lines so the benchmark can check that both sides
# computed the same analysis.
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
dat <- escalc("RR", ai = ivig_improved, n1i = ivig_total, ci = control_improved,
              n2i = control_total, data = d, slab = study_id, add = 1/2, to = "only0",
              drop00 = TRUE)
dat <- dat[!is.na(dat$yi), ]
mh <- rma.mh(ai = ivig_improved, n1i = ivig_total, ci = control_improved,
             n2i = control_total, data = d, measure = "RR")
m <- rma(yi, vi, data = dat, method = "REML")
ci <- confint(m)
pr <- predict(m, transf = exp)
eg <- regtest(m, model = "lm")
# R's exact Kendall p-value overflows beyond k = 170 (NaN) and its memory grows past
# 10 GB at k = 2000: ask for the normal approximation there.
rk <- ranktest(m, exact = nrow(dat) <= 170)
tf <- trimfill(m)
l1 <- leave1out(m)
cu <- cumul(m, order = dat$year)
sg <- lapply(split(dat, dat$subgroup), function(s) rma(yi, vi, data = s, method = "REML"))
cat("k", m$k, "\n")
cat("mh", format(exp(c(mh$beta)), digits = 15), "\n")
cat("random", format(exp(c(m$beta)), digits = 15), "\n")
cat("tau2", format(m$tau2, digits = 15), "\n")
cat("trimfill_k0", tf$k0, "\n")
cat("loo_first", format(exp(l1$estimate[1]), digits = 15), "\n")
