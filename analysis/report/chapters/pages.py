"""Conclusions, citation, downloads and the sentences the front matter shares."""

from __future__ import annotations

import re

import yaml
from IPython.display import Markdown

from analysis import escape
from analysis.report import text
from analysis.report.chapters import certainty as site_certainty
from analysis.report.chapters.figures import other_outcomes
from analysis.report.chapters.loading import (
    COMPARISON_KEYS,
    bundle,
    data_mod,
    label,
    pd,
    register_counts,
    result,
    root,
)
from analysis.report.chapters.numbers import (
    _md,
    generated,
    k,
    this_citation,
    version,
    version_label,
)
from analysis.report.chapters.register import contribute_url, contributing_url, repository
from analysis.report.chapters.tables import _md_table, published, sensitivity_table, tau2_table


def conclusion(name: str) -> str:
    """What this version's primary analysis says, in words (from the 95 % CI)."""
    c = result(name)
    if c is None:
        return "no trial in the primary analysis yet: no conclusion"
    r = c.analysis.model(c.summary.model)
    lo, hi = (r.ci_low, r.ci_high) if r else (None, None)
    null = 1.0 if text.is_ratio(c.measure) else 0.0
    one = " (a single trial)" if c.k == 1 else ""
    if lo is None or hi is None or text.missing(lo) or text.missing(hi):
        return f"not estimable{one}"
    if lo > null:
        return f"more patients improved with IVIG{one}"
    if hi < null:
        return f"more patients improved with {label(name).lower()}{one}"
    return f"no clear difference: the 95 % CI includes no effect{one}"


def conclusions_table() -> Markdown:
    """The source review's conclusions beside this version's, per comparison."""
    source = next(p for p in published() if p["comparison"] == "all")
    said = {
        "placebo": "IVIG better than placebo",
        "plasma_exchange": "no different from plasma exchange",
        "corticosteroid": "no different from corticosteroids",
    }
    rows = [
        {
            "Comparison": f"IVIG vs {label(c).lower()}",
            f"Source review ({escape.markdown(source['source'].split(',')[0])})": said[c],
            f"This version ({version().data})": site_certainty.conclusion_cell(c),
        }
        for c in COMPARISON_KEYS
    ]
    return Markdown(_md_table(pd.DataFrame(rows)))


def source_review() -> dict:
    """The source review's entry in ``published.yaml``."""
    return next(p for p in published() if p["comparison"] == "all")


def source_review_name() -> Markdown:
    """``Morales-Ruiz 2022, Autoimmunity Reviews 21(3):103019``."""
    return Markdown(escape.markdown(source_review()["source"]))


def contribute_links() -> Markdown:
    """Links to the contributor guide and to a new issue."""
    return Markdown(
        f"[how to contribute]({contributing_url()}), [report a problem]({contribute_url()})"
    )


def _state() -> dict:
    c = this_citation()
    return {"released": c.released, "commit": c.commit, "built": c.built}


def cite_as() -> Markdown:
    """The plain-text reference of this build (a development version says so)."""
    return Markdown(_md(this_citation().text()))


def cite_block() -> Markdown:
    """What to cite: this release, the latest release, or (none yet) this development build."""
    from analysis.report import citation

    sentence, reference = citation.cite_statement(root(), **_state())
    out = _md(sentence)
    if reference:
        out += "\n\n> " + _md(reference)
    return Markdown(out)


def doi_line() -> Markdown:
    """The concept DOI (all versions) where Zenodo has assigned one, else a placeholder."""
    c = this_citation()
    if c.doi:
        return Markdown(f"DOI (all versions): [{_md(c.doi)}](https://doi.org/{c.doi})")
    return Markdown(
        "DOI: not yet assigned. A DOI is minted by Zenodo at the first release and will be "
        "shown here."
    )


def people_block() -> Markdown:
    """Authors, contributions, conflicts of interest, funding and protocol, as declared in
    ``review-metadata.yml`` (or plainly that nothing is declared yet)."""
    from analysis.report import citation

    lines = [f"**{h}.** {_md(t)}" for h, t in citation.people(root()).statements()]
    return Markdown("\n\n".join(lines))


def bibtex() -> Markdown:
    """BibTeX of this build, as a code block."""
    from analysis.report import citation

    # tabindex: a block that scrolls sideways must be reachable by keyboard
    return Markdown(
        '```{.bibtex tabindex="0"}\n' + citation.bibtex(root(), **_state()).strip() + "\n```"
    )


def ris() -> Markdown:
    """RIS of this build, as a code block."""
    from analysis.report import citation

    return Markdown('```{.ris tabindex="0"}\n' + citation.ris(root(), **_state()).strip() + "\n```")


def changelog() -> Markdown:
    """Every released version's changelog entry, newest first (``changelog/vX.Y.Z.md``)."""
    from analysis.report import changelog

    entries = changelog.changelog_entries(root())
    if not entries:
        return Markdown(
            f"_No version has been released yet; this is {version_label().data}, built on "
            f"{generated().data}._"
        )
    return Markdown("\n\n".join(f"## {e.title}\n\n{e.body_at(3).strip()}" for e in entries))


def data_dictionary() -> Markdown:
    """The data dictionary of ``studies.csv``, from ``datapackage.json`` (the bundle's
    ``data_dictionary``)."""
    return Markdown(data_mod.datadictionary(fields=bundle()["data_dictionary"]))


def chart_files() -> Markdown:
    """Links to the Vega-Lite spec of every chart the site draws."""
    names = [("summary-forest", "Summary forest plot, all comparisons")]
    for c in COMPARISON_KEYS:
        n = k(c)
        if n >= 1:
            names.append((f"forest-{c}", f"Forest plot, IVIG vs {label(c).lower()}"))
        elif other_outcomes(c) is not None:
            names.append(
                (f"forest-{c}-all-outcomes", f"Forest plot (other outcomes), vs {label(c).lower()}")
            )
        if n >= 2:
            names += [
                (f"sensitivity-{c}", f"Sensitivity analyses, vs {label(c).lower()}"),
                (f"leave-one-out-{c}", f"Leave-one-out, vs {label(c).lower()}"),
                (f"cumulative-{c}", f"Cumulative meta-analysis, vs {label(c).lower()}"),
            ]
        if n >= 3:
            names.append((f"funnel-{c}", f"Funnel plot, vs {label(c).lower()}"))
    names += [
        ("rob-traffic-light", "Risk of bias, traffic-light plot"),
        ("rob-summary", "Risk of bias, summary plot"),
        ("prisma", "PRISMA 2020-style flow"),
    ]
    lines = [f"- [{title}](../charts/{n.replace('_', '-')}.vl.json)" for n, title in names]
    return Markdown("\n".join(lines))


def sensitivity_section(name: str) -> Markdown:
    """Sensitivity tables of a comparison, or why there are none (k < 2)."""
    n = k(name)
    if n < 2:
        return Markdown(
            f"With {text.count(n, 'trial')} in the primary analysis of IVIG versus "
            f"{label(name).lower()}, there is nothing to vary: sensitivity, leave-one-out and "
            "cumulative analyses need at least two trials."
        )
    return Markdown(
        sensitivity_table(name).data
        + "\n\nAlternative estimators of tau²:\n\n"
        + tau2_table(name).data
    )


def small_study_warning() -> Markdown:
    """The usual warning, with this version's numbers of trials."""
    sizes = {c: k(c) for c in COMPARISON_KEYS}
    most = max(sizes, key=lambda c: sizes[c])
    if sizes[most] >= 10:
        return Markdown(
            f"IVIG versus {label(most).lower()} has {sizes[most]} trials, enough for the tests to "
            "have some power; comparisons with fewer than ten trials are not interpreted."
        )
    return Markdown(
        f"No comparison has ten or more trials (the most is {sizes[most]}, IVIG versus "
        f"{label(most).lower()}). With fewer than ten trials, tests for funnel plot asymmetry "
        "have too little power to tell chance from real asymmetry, and a funnel plot is hard to "
        "read (Cochrane Handbook, section 13.3.5.4; Sterne et al. 2011, BMJ 343:d4002), so "
        "Egger's and Begg's tests and trim-and-fill are not reported as results; the funnel "
        "plot is shown to display the trials, not to be interpreted."
    )


def register_sentence() -> Markdown:
    """``38 trials, of which 7 verified, 1 derived and 30 pending``."""
    reg = register_counts()
    parts = [f"{v} {k}" for k, v in reg["by_status"].items()]
    return Markdown(f"{text.count(reg['identified'], 'trial')} ({', '.join(parts)})")


def pdf_name() -> str:
    """File name of the book's PDF in the site (``book.output-file`` of ``_quarto.yml``)."""
    config = yaml.safe_load((root() / "_quarto.yml").read_text(encoding="utf-8"))
    return f"{config['book']['output-file']}.pdf"


def repository_file(path: str) -> Markdown:
    """A link to a file of the repository (for files the site does not copy), at the exact
    commit this page was built from (``main`` only when the commit is unknown)."""
    commit = str(bundle().get("commit") or "")
    ref = commit if re.fullmatch(r"[0-9a-f]{7,40}", commit) else "main"
    return Markdown(f"[{path.rsplit('/', 1)[-1]}]({repository()}/blob/{ref}/{path})")


#: the citation files the build writes beside the pages (analysis.report.citation)
CITATION_FILES = (
    ("citation.bib", "BibTeX", "for BibTeX, biblatex, JabRef, Zotero"),
    ("citation.ris", "RIS", "for EndNote, Mendeley, Zotero, Reference Manager"),
    ("CITATION.cff", "Citation File Format", "for GitHub, Zenodo and software citation tools"),
)


def citation_downloads() -> Markdown:
    """Links to this build's BibTeX, RIS and CFF files, and (on the web) buttons that copy
    the BibTeX and RIS shown below them."""
    items = [f"- [{name}](../{name}): {what}, {use}" for name, what, use in CITATION_FILES]
    buttons = (
        "```{=html}\n"
        '<p class="copy-cite" hidden>'
        '<button type="button" data-copy="bibtex">Copy the BibTeX</button> '
        '<button type="button" data-copy="ris">Copy the RIS</button> '
        '<span role="status" aria-live="polite"></span></p>'
        "<script>(function(){var p=document.currentScript.previousElementSibling;"
        "if(!navigator.clipboard)return;p.hidden=false;"
        "p.addEventListener('click',function(e){var b=e.target.closest('button');if(!b)return;"
        "var c=document.querySelector('pre code.'+b.dataset.copy+', pre.'+b.dataset.copy+' code,"
        " div.sourceCode pre.'+b.dataset.copy);"
        "if(!c)return;navigator.clipboard.writeText(c.textContent.trim()).then(function(){"
        "p.querySelector('[role=status]').textContent=b.textContent.replace('Copy the ','')"
        "+' copied';});});})();</script>\n"
        "```"
    )
    return Markdown(
        "Download the reference of this version:\n\n" + "\n".join(items) + "\n\n" + buttons
    )


def pdf_link() -> Markdown:
    """A link from a chapter page to the PDF."""
    return Markdown(f"[{pdf_name()}](../{pdf_name()})")
