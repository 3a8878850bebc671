"""``python -m analysis meta FILE.csv``: the full meta-analysis of a user's study file.

Prints a readable summary, or with ``--json`` exactly one JSON object (the contract of
``../shared/docs/meta-cli.md``,
:meth:`analysis.stats.full_analysis.MetaAnalysis.to_dict`) and nothing
else. Bad input: one line on standard error naming file, row and column, exit status 2,
nothing on standard output (see :mod:`analysis.evidence.studyfile`).

This path imports neither pandas nor ``scipy.stats``: start-up time counts.
"""

from __future__ import annotations

import argparse
import json
import sys

from analysis.errors import UserError

HELP = "Meta-analyse a CSV of two-arm trials (RR, OR or RD; text summary or --json)."

MEASURES = ("RR", "OR", "RD")
TAU2_METHODS = ("DL", "REML", "PM", "ML", "HS", "SJ", "EB", "HE")
GLMM_MODELS = ("UM.FS", "CM.EL")  # analysis.stats.glmm.MODELS (not imported: start-up time)
BAYES_DEFAULT_SCALE = 0.5  # analysis.stats.bayes.DEFAULT_TAU_SCALE (test_glmm checks both)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``meta`` (meta-cli.md)."""
    parser.add_argument(
        "file",
        metavar="FILE.csv",
        help="columns study_id, year, ivig_improved, ivig_total, control_improved, "
        "control_total (other columns ignored unless --by names one)",
    )
    parser.add_argument("--measure", choices=MEASURES, default="RR", help="effect measure")
    parser.add_argument(
        "--tau2", choices=TAU2_METHODS, default="REML", help="between-study variance estimator"
    )
    parser.add_argument(
        "--hk", action="store_true", help="Hartung-Knapp inference (t with k - 1 df)"
    )
    parser.add_argument("--by", metavar="COLUMN", help="subgroup analysis by this column")
    parser.add_argument(
        "--glmm",
        choices=GLMM_MODELS,
        help="also fit a GLMM for the odds ratio (rma.glmm): UM.FS or CM.EL; needs --measure OR",
    )
    parser.add_argument(
        "--bayes",
        nargs="?",
        const=BAYES_DEFAULT_SCALE,
        type=float,
        metavar="SCALE",
        help="also a Bayesian random-effects analysis, half-normal prior on tau with this "
        f"scale (default {BAYES_DEFAULT_SCALE})",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON object only")


def _f(x, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1f}%"


def _p(p) -> str:
    """``p = 0.1887``, ``p < 0.0001`` or ``p -`` (undefined)."""
    if p is None:
        return "p -"
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.4f}"


def _ci(lo, hi, digits: int = 2) -> str:
    return f"[{_f(lo, digits)}, {_f(hi, digits)}]"


def reasons(res) -> list[tuple[str, str]]:
    """The notes of an analysis as (where, why) pairs, each distinct note once per part."""
    parts = [
        ("heterogeneity", [res.heterogeneity]),
        ("random effects", [res.random]),
        ("Egger", [res.small_study.egger]),
        ("Begg", [res.small_study.begg]),
        ("trim and fill", [res.small_study.trimfill]),
        ("leave-one-out", list(res.leave_one_out)),
        ("cumulative", list(res.cumulative)),
    ]
    if res.subgroups is not None:
        parts += [(f"subgroup {name}", [g]) for name, g in res.subgroups.groups.items()]
        parts.append(("subgroup differences", [res.subgroups.test_between]))
    out = []
    for where, objs in parts:
        seen = []
        for obj in objs:
            note = getattr(obj, "note", None)
            if note and note not in seen:
                seen.append(note)
        out += [(where, note) for note in seen]
    return out


def summary(res, path: str) -> str:
    """A readable multi-line summary of a :class:`analysis.stats.full_analysis.MetaAnalysis`."""
    m = res.measure
    d = 4 if m == "RD" else 2
    r = res.random
    lines = [
        f"Meta-analysis of {path}: {m}, {res.k} {'study' if res.k == 1 else 'studies'}"
        + (f" ({len(res.excluded)} excluded: {', '.join(res.excluded)})" if res.excluded else ""),
        "",
        "Common effect",
        f"  Mantel-Haenszel    {_f(res.common.mh.estimate, d)} "
        f"{_ci(res.common.mh.ci_low, res.common.mh.ci_high, d)}  {_p(res.common.mh.p)}",
        f"  Inverse variance   {_f(res.common.iv.estimate, d)} "
        f"{_ci(res.common.iv.ci_low, res.common.iv.ci_high, d)}  {_p(res.common.iv.p)}",
    ]
    if res.common.peto is not None:
        pe = res.common.peto
        lines.append(
            f"  Peto               {_f(pe.estimate, d)} {_ci(pe.ci_low, pe.ci_high, d)}  {_p(pe.p)}"
        )
    h = res.heterogeneity
    lines += [
        "",
        f"Random effects ({r.tau2_method}{', Hartung-Knapp' if r.hk else ''})",
        f"  estimate           {_f(r.estimate, d)} {_ci(r.ci_low, r.ci_high, d)}  {_p(r.p)}",
        f"  prediction         {_ci(r.pi_low, r.pi_high, d)}",
        f"  tau2               {_f(r.tau2, 4)} "
        + (_ci(r.tau2_ci[0], r.tau2_ci[1], 4) if r.tau2_ci else ""),
        f"  I2                 {_pct(r.i2)} " + (_ci(r.i2_ci[0], r.i2_ci[1], 1) if r.i2_ci else ""),
        "",
        f"Heterogeneity: Q = {_f(h.q)}, df = {h.df if h.df is not None else '-'}, "
        f"{_p(h.p)}, I2 = {_pct(h.i2)}",
    ]
    s = res.small_study
    eg, bg, tf = s.egger, s.begg, s.trimfill
    lines += [
        "",
        "Small-study effects",
        f"  Egger              intercept {_f(eg.intercept)} (SE {_f(eg.se)}), {_p(eg.p)}",
        f"  Begg               tau {_f(bg.tau, 3)}, {_p(bg.p)}",
        f"  Trim and fill      {tf.k0 if tf.k0 is not None else '-'} missing"
        + (f" on the {tf.side}" if tf.side else "")
        + f", adjusted {_f(tf.estimate, d)} {_ci(tf.ci_low, tf.ci_high, d)}",
    ]
    if res.subgroups is not None:
        sg = res.subgroups
        lines += ["", f"Subgroups by {sg.by}"]
        for name, g in sg.groups.items():
            lines.append(
                f"  {name:<18} k = {g.k:<4} {_f(g.estimate, d)} {_ci(g.ci_low, g.ci_high, d)}"
                f"  tau2 {_f(g.tau2, 4)}"
            )
        tb = sg.test_between
        lines.append(
            f"  test for subgroup differences: Q = {_f(tb.q)}, "
            f"df = {tb.df if tb.df is not None else '-'}, {_p(tb.p)}"
        )
    notes = reasons(res)
    if notes:
        lines += ["", "Notes (why a figure is '-', and how tau² was found where it needed help)"]
        lines += [f"  {where}: {why}" for where, why in notes]
    if res.leave_one_out:
        ests = [x.estimate for x in res.leave_one_out if x.estimate is not None]
        if ests:
            lines += [
                "",
                f"Leave-one-out: estimates from {_f(min(ests), d)} to {_f(max(ests), d)}",
            ]
    return "\n".join(lines)


def few_trials(args: argparse.Namespace, table) -> dict:
    """The ``glmm`` and ``bayes`` objects asked for by ``--glmm`` and ``--bayes``."""
    out: dict = {}
    if args.glmm is not None:
        if args.measure != "OR":
            raise UserError(f"--glmm {args.glmm} fits odds ratios: add --measure OR")
        from analysis.stats.glmm import glmm_or

        out["glmm"] = glmm_or(
            table.ivig_improved, table.ivig_total, table.control_improved,
            table.control_total, args.glmm,
        )  # fmt: skip
    if args.bayes is not None:
        if not args.bayes > 0:
            raise UserError(f"--bayes {args.bayes}: the prior scale must be above 0")
        from analysis.stats.bayes import bayes_re
        from analysis.stats.effects import escalc

        es = escalc(
            table.ivig_improved, table.ivig_total, table.control_improved,
            table.control_total, args.measure,
        )  # fmt: skip
        keep = es.included
        out["bayes"] = bayes_re(es.yi[keep], es.sei[keep], args.bayes, measure=args.measure)
    return out


def few_trials_summary(extra: dict, measure: str) -> str:
    """Text lines of the GLMM and Bayesian analyses (empty when neither was asked for)."""
    d = 4 if measure == "RD" else 2
    lines = []
    g = extra.get("glmm")
    if g is not None:
        lines += [
            "",
            f"GLMM ({g.model}, odds ratio, maximum likelihood)",
            f"  estimate           {_f(g.estimate, d)} {_ci(g.ci_low, g.ci_high, d)}  {_p(g.p)}",
            f"  tau2               {_f(g.tau2, 4)}",
        ]
        if g.note:
            lines.append(f"  note: {g.note}")
    b = extra.get("bayes")
    if b is not None:
        lines += [
            "",
            f"Bayesian random effects ({b.prior})",
            f"  posterior median   {_f(b.estimate, d)} {_ci(b.ci_low, b.ci_high, d)} (95% CrI)",
            f"  tau                {_f(b.tau, 3)} {_ci(b.tau_ci_low, b.tau_ci_high, 3)}",
            f"  prediction         {_ci(b.pi_low, b.pi_high, d)}",
            f"  P(IVIG better)     {_f(b.p_benefit, 3)}",
        ]
        if b.note:
            lines.append(f"  note: {b.note}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Read, analyse, print."""
    from analysis.evidence.studyfile import read_studies
    from analysis.stats.full_analysis import NoStudies, analyse_arrays

    table = read_studies(args.file, by=args.by)
    try:
        res = analyse_arrays(
            table.study_id,
            table.year,
            table.ivig_improved,
            table.ivig_total,
            table.control_improved,
            table.control_total,
            measure=args.measure,
            tau2_method=args.tau2,
            hk=args.hk,
            by=args.by,
            groups=table.groups,
        )
    except NoStudies as exc:
        raise UserError(
            f"{table.path}:{table.rows[0]}:ivig_improved: {exc} (measure {args.measure})"
        ) from None
    extra = few_trials(args, table)
    if args.json:
        out = res.to_dict()
        out.update({key: fit.to_dict() for key, fit in extra.items()})
        # compact: the C encoder (an indent would fall back to the pure-Python one)
        text = json.dumps(out, allow_nan=False, ensure_ascii=False)
    else:
        text = summary(res, table.path) + few_trials_summary(extra, args.measure)
    sys.stdout.write(text + "\n")
    return 0
