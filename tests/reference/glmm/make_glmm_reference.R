# Reference results of metafor's rma.glmm for the project's GLMM (analysis/stats/glmm.py).
#
#   cd tests/reference/glmm && Rscript make_glmm_reference.R [NAME ...]
#
# For every NAME.csv here (the project's study schema: ivig_* = treatment arm), writes
# NAME.glmm.json with rma.glmm(measure = "OR", method = "ML") for model = "UM.FS" and
# model = "CM.EL", each twice:
#   "default": rma.glmm with metafor's defaults (nAGQ = 7; lme4's glmer with its default
#              optimisers for UM.FS; nlminb over (beta, log tau2) with integrate(rel.tol =
#              eps^0.25) for CM.EL).
#   "tight":   the same model and the same likelihood maximised to convergence:
#              UM.FS: lme4's own nAGQ = 7 deviance function of rma.glmm's glmer model
#              (glmer(..., devFunOnly = TRUE), PIRLS tolerance 1e-10), started at rma.glmm's
#              fit and minimised by nlminb (rel.tol 1e-12); the standard error from
#              numDeriv's Hessian of that deviance, as lme4's vcov (2 H^-1) does.
#              CM.EL: rma.glmm with integrate(rel.tol = 1e-10), nlminb(rel.tol = 1e-12; its
#              default 1e-10 where it then reports false convergence) and
#              numDeriv's Hessian with r = 4 Richardson steps (rma.glmm's r = 16 amplifies
#              the integration noise: its standard error moves by ~4e-5 relative).
# The Python fit is held to the "tight" figures at 1e-5 relative; the "default" ones differ
# from them by the optimisers' stopping tolerances (recorded in the README).
# Double-zero studies are dropped by rma.glmm (drop00 = TRUE) and listed in "dropped".
suppressPackageStartupMessages({ library(metafor); library(lme4); library(numDeriv); library(jsonlite) })

wald <- function(b, se, tau2, ll, secs, k, warns) {
  z <- qnorm(0.975)
  list(k = k, b = b, se = se, zval = b / se, pval = 2 * pnorm(-abs(b / se)),
       ci_lb = b - z * se, ci_ub = b + z * se, estimate = exp(b), ci_low = exp(b - z * se),
       ci_high = exp(b + z * se), tau2 = tau2, loglik = ll, seconds = secs, warnings = warns)
}

rma_fit <- function(d, model, control) {
  warns <- character(0)
  t0 <- proc.time()[["elapsed"]]
  res <- tryCatch(
    withCallingHandlers(
      rma.glmm(measure = "OR", ai = ivig_improved, n1i = ivig_total, ci = control_improved,
               n2i = control_total, data = d, model = model, method = "ML", control = control),
      warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") }),
    error = function(e) e)
  secs <- proc.time()[["elapsed"]] - t0
  if (inherits(res, "error")) return(list(fit = NULL, out = list(error = conditionMessage(res))))
  out <- wald(unname(res$beta[1, 1]), res$se, res$tau2, res$fit.stats["ll", "ML"], secs, res$k, warns)
  list(fit = res, out = out)
}

umfs_tight <- function(d, keep) {
  t0 <- proc.time()[["elapsed"]]
  ai <- d$ivig_improved[keep]; bi <- d$ivig_total[keep] - ai
  ci <- d$control_improved[keep]; di <- d$control_total[keep] - ci; k <- length(ai)
  # rma.glmm's glmer model for UM.FS (coding = 1/2), as built in rma.glmm.r
  dat.grp <- cbind(xi = c(rbind(ai, ci)), mi = c(rbind(bi, di)))
  X.fit <- cbind(intrcpt = rep(c(1, 0), times = k))
  group <- rep(c(1/2, -1/2), times = k)
  study <- factor(rep(seq_len(k), each = 2L))
  m0 <- suppressMessages(suppressWarnings(glmer(dat.grp ~ -1 + X.fit + study + (group - 1 | study),
                                                family = binomial, nAGQ = 7)))
  devfun <- glmer(dat.grp ~ -1 + X.fit + study + (group - 1 | study), family = binomial,
                  nAGQ = 7, devFunOnly = TRUE, control = glmerControl(tolPwrss = 1e-10))
  start <- c(getME(m0, "theta"), fixef(m0))
  opt <- nlminb(start, devfun, lower = c(0, rep(-Inf, length(start) - 1)),
                control = list(rel.tol = 1e-12, eval.max = 1e5, iter.max = 1e5))
  if (opt$par[1] > 1e-6) {
    V <- 2 * solve(numDeriv::hessian(devfun, opt$par))
    se <- sqrt(V[2, 2])
  } else {  # tau on the boundary 0: the deviance is even in theta, the cross terms vanish
    opt$par[1] <- 0
    g <- function(beta) devfun(c(0, beta))
    V <- 2 * solve(numDeriv::hessian(g, opt$par[-1]))
    se <- sqrt(V[1, 1])
  }
  wald(unname(opt$par[2]), se, opt$par[1]^2, NA, proc.time()[["elapsed"]] - t0, k,
       paste("nlminb:", opt$message))
}

args <- commandArgs(trailingOnly = TRUE)
csvs <- if (length(args)) paste0(args, ".csv") else sort(Sys.glob("*.csv"))
for (csv in csvs) {
  name <- sub("\\.csv$", "", csv)
  d <- read.csv(csv, stringsAsFactors = FALSE)
  dz <- (d$ivig_improved == 0 & d$control_improved == 0) |
        (d$ivig_improved == d$ivig_total & d$control_improved == d$control_total)
  out <- list(data = csv, metafor = as.character(packageVersion("metafor")),
              lme4 = as.character(packageVersion("lme4")),
              BiasedUrn = as.character(packageVersion("BiasedUrn")),
              R = R.version.string, measure = "OR", method = "ML", nAGQ = 7,
              dropped = I(d$study_id[dz]))
  def <- rma_fit(d, "UM.FS", list())
  tgt <- tryCatch(umfs_tight(d, !dz), error = function(e) list(error = conditionMessage(e)))
  out[["UM.FS"]] <- list(default = def$out, tight = tgt)
  def <- rma_fit(d, "CM.EL", list())
  tgt <- rma_fit(d, "CM.EL", list(intCtrl = list(rel.tol = 1e-10), optCtrl = list(rel.tol = 1e-12),
                                  hessianCtrl = list(r = 4)))
  if (!is.null(tgt$out$error))  # nlminb's "false convergence" at rel.tol 1e-12: its default
    tgt <- rma_fit(d, "CM.EL", list(intCtrl = list(rel.tol = 1e-10), hessianCtrl = list(r = 4)))
  out[["CM.EL"]] <- list(default = def$out, tight = tgt$out)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
             paste0(name, ".glmm.json"))
  cat(name, "done\n")
}
