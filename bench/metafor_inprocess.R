# metafor timed inside R after library(metafor) (R's system.time), for `python -m bench`
# (bench/meta_bench.py): the same analysis as bench/metafor_full.R, without R's start-up.
# Usage: Rscript bench/metafor_inprocess.R FILE.csv full|one REPEATS
#   full: the whole analysis (escalc, rma.mh, rma REML, confint, predict, regtest,
#         ranktest, trimfill, leave1out, cumul, one rma per subgroup), REPEATS times
#   one:  one rma(method = "REML") fit on the same data, REPEATS times
# Prints "seconds S" per run, then a few figures as "name value" lines.
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[2]
repeats <- as.integer(args[3])
d <- read.csv(args[1], stringsAsFactors = FALSE)
dat <- escalc("RR", ai = ivig_improved, n1i = ivig_total, ci = control_improved,
              n2i = control_total, data = d, slab = study_id, add = 1/2, to = "only0",
              drop00 = TRUE)
dat <- dat[!is.na(dat$yi), ]
full <- function() {
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
  rk <- ranktest(m, exact = nrow(dat) <= 170)
  tf <- trimfill(m)
  l1 <- leave1out(m)
  cu <- cumul(m, order = dat$year)
  sg <- lapply(split(dat, dat$subgroup), function(s) rma(yi, vi, data = s, method = "REML"))
  list(mh = mh, m = m, tf = tf, l1 = l1)
}
res <- NULL
for (i in seq_len(repeats)) {
  if (mode == "full") {
    t <- system.time(res <- full())[["elapsed"]]
  } else {
    t <- system.time(m <- rma(yi, vi, data = dat, method = "REML"))[["elapsed"]]
  }
  cat("seconds", t, "\n")
}
if (mode == "full") {
  cat("k", res$m$k, "\n")
  cat("mh", format(exp(c(res$mh$beta)), digits = 15), "\n")
  cat("random", format(exp(c(res$m$beta)), digits = 15), "\n")
  cat("tau2", format(res$m$tau2, digits = 15), "\n")
  cat("trimfill_k0", res$tf$k0, "\n")
  cat("loo_first", format(exp(res$l1$estimate[1]), digits = 15), "\n")
} else {
  cat("tau2", format(m$tau2, digits = 15), "\n")
}
