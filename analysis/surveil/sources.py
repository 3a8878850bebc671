"""The eligibility search against PubMed, Europe PMC and ClinicalTrials.gov, and the parsers.

The query is the protocol's (``data/search.yaml``): the intervention (IVIG), the six
diseases of the population, and randomised trials, limited to a date window. Each
source's JSON is parsed into :class:`Record` by a function that raises
:class:`~analysis.surveil.fetch.SourceError` on anything not in the documented shape.

Documented formats (the fixtures in ``tests/fixtures/surveil/`` follow them):

* PubMed E-utilities (NCBI Bookshelf NBK25499, "The E-utilities In-Depth"): ESearch with
  ``retmode=json``, ``datetype``, ``mindate``/``maxdate`` returns
  ``{"esearchresult": {"count", "idlist": [PMID, ...]}}`` (an ``"ERROR"`` key on a bad
  query); ESummary with ``retmode=json`` returns ``{"result": {"uids": [...], PMID:
  {"title", "authors": [{"name"}], "pubdate", "articleids": [{"idtype", "value"}],
  "pubtype": [...]}}}``.
* Europe PMC REST ``/search`` (Europe PMC RESTful Web Service, ``format=json``,
  ``resultType=lite``): ``{"hitCount", "resultList": {"result": [{"id", "source"
  (``MED``, ``PPR`` for preprints, ...), "pmid", "doi", "title", "authorString",
  "pubYear", "pubType", "firstPublicationDate"}]}}``.
* ClinicalTrials.gov API v2 ``/api/v2/studies`` (ClinicalTrials.gov "API" documentation,
  study data structure): ``{"studies": [{"protocolSection": {"identificationModule":
  {"nctId", "briefTitle", "officialTitle"}, "statusModule": {"lastUpdatePostDateStruct":
  {"date"}, "resultsFirstPostDateStruct": {"date"}}, "designModule": {"studyType",
  "designInfo": {"allocation"}}, "conditionsModule": {"conditions"},
  "contactsLocationsModule"...}, "hasResults"}], "nextPageToken"}``; the window is
  ``filter.advanced=AREA[LastUpdatePostDate]RANGE[from,to]``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from analysis.surveil.fetch import Fetcher, SourceError

__all__ = [
    "DESIGN_TERMS",
    "DISEASE_TERMS",
    "INTERVENTION_TERMS",
    "SOURCES",
    "URLS",
    "Record",
    "Window",
    "ctgov",
    "esearch_ids",
    "europepmc",
    "parse_ctgov",
    "parse_europepmc",
    "parse_pubmed",
    "pubmed",
]

#: the APIs' addresses (a test may point them at a local server)
URLS: dict[str, str] = {
    "esearch": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi",
    "esummary": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esummary.fcgi",
    "europepmc": "https://www.ebi.ac.uk/europepmc/webservices/rest/search",
    "ctgov": "https://clinicaltrials.gov/api/v2/studies",
    "crossref": "https://api.crossref.org/works",
}

#: the intervention of search.yaml, as the sources' text words
INTERVENTION_TERMS = (
    "intravenous immunoglobulin",
    "intravenous immune globulin",
    "IVIG",
    "IVIg",
    "IGIV",
)
#: disease code (analysis.vocabulary.DISEASES) -> words naming it in a title or condition
DISEASE_TERMS: dict[str, tuple[str, ...]] = {
    "guillain_barre_syndrome": ("guillain-barre", "guillain barre", "guillain-barré"),
    "myasthenia_gravis": ("myasthenia gravis", "myasthenic"),
    "cidp": (
        "chronic inflammatory demyelinating",
        "cidp",
    ),
    "optic_neuritis": ("optic neuritis",),
    "autoimmune_encephalitis": ("autoimmune encephalitis", "nmda receptor encephalitis"),
    "multiple_sclerosis": ("multiple sclerosis",),
}
#: words of a randomised design
DESIGN_TERMS = ("randomized", "randomised", "randomly", "random allocation")
#: comparators of search.yaml, as words
COMPARATOR_TERMS: dict[str, tuple[str, ...]] = {
    "placebo": ("placebo", "sham"),
    "plasma_exchange": ("plasma exchange", "plasmapheresis", "plex"),
    "corticosteroid": ("corticosteroid", "steroid", "prednis", "methylprednisolone"),
}


@dataclass(frozen=True)
class Window:
    """The search window: records entered or updated from ``since`` to ``until`` inclusive."""

    since: _dt.date
    until: _dt.date


@dataclass(frozen=True)
class Record:
    """One record a source returned, in the fields every source shares."""

    source: str  # "PubMed" | "Europe PMC" | "ClinicalTrials.gov"
    source_id: str  # PMID, Europe PMC id, NCT number
    title: str
    first_author: str = ""
    year: int | None = None
    pmid: str = ""
    doi: str = ""
    nct: str = ""
    url: str = ""
    publication_types: tuple[str, ...] = ()
    preprint: bool = False
    conditions: tuple[str, ...] = ()
    allocation: str = ""  # ClinicalTrials.gov designInfo.allocation
    study_type: str = ""
    has_results: bool | None = None
    query: str = ""  # the query that found it


def _or(terms: tuple[str, ...] | list[str], field: str = "") -> str:
    return "(" + " OR ".join(f'"{t}"{field}' for t in terms) + ")"


def _diseases() -> list[str]:
    return [t for terms in DISEASE_TERMS.values() for t in terms if t not in ("cidp",)] + ["CIDP"]


def pubmed_term() -> str:
    """The PubMed query: IVIG AND (a disease) AND (randomised trial), title/abstract words."""
    return (
        f"{_or(INTERVENTION_TERMS, '[tiab]')} AND {_or(_diseases(), '[tiab]')} AND "
        '("randomized controlled trial"[pt] OR randomi*[tiab])'
    )


def europepmc_query(window: Window) -> str:
    """The Europe PMC query (includes preprints, ``SRC:PPR``) limited to the window."""
    return (
        f"{_or(INTERVENTION_TERMS)} AND {_or(_diseases())} AND (randomised OR randomized) "
        f"AND FIRST_PDATE:[{window.since.isoformat()} TO {window.until.isoformat()}]"
    )


def _need(obj: Any, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(obj, Mapping) or key not in obj or not isinstance(obj[key], kind):
        raise SourceError(f"{what}: malformed response (no {key!r} of the documented type)")
    return obj[key]


def _year(text: object) -> int | None:
    m = re.search(r"\b(19|20)\d{2}\b", str(text or ""))
    return int(m.group(0)) if m else None


def _clean_doi(value: object) -> str:
    doi = str(value or "").strip().lower()
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi)


_NCT = re.compile(r"\bNCT\d{8}\b")


def esearch_ids(esearch: Any) -> list[str]:
    """The PMIDs of an ESearch response; the API's ``ERROR`` is a source error."""
    if isinstance(esearch, Mapping) and "error" in esearch:  # e.g. the rate limit's answer
        raise SourceError(f"pubmed_esearch: the API refused the request ({esearch['error']})")
    result = _need(esearch, "esearchresult", Mapping, "pubmed_esearch")
    if "ERROR" in result:
        raise SourceError(f"pubmed_esearch: the API refused the query ({result['ERROR']})")
    return [str(i) for i in _need(result, "idlist", list, "pubmed_esearch")]


def parse_pubmed(esearch: Any, esummary: Any) -> list[Record]:
    """Records of an ESearch + ESummary pair (JSON, NBK25499)."""
    ids = esearch_ids(esearch)
    if not ids:
        return []
    summary = _need(esummary, "result", Mapping, "pubmed_esummary")
    uids = _need(summary, "uids", list, "pubmed_esummary")
    out = []
    for uid in uids:
        doc = _need(summary, str(uid), Mapping, "pubmed_esummary")
        ids_of = {
            str(a.get("idtype")): str(a.get("value"))
            for a in doc.get("articleids") or []
            if isinstance(a, Mapping)
        }
        authors = [a.get("name") for a in doc.get("authors") or [] if isinstance(a, Mapping)]
        title = str(_need(doc, "title", str, "pubmed_esummary"))
        nct = _NCT.search(title)
        out.append(
            Record(
                source="PubMed",
                source_id=str(uid),
                title=title,
                first_author=str(authors[0]) if authors else "",
                year=_year(doc.get("pubdate") or doc.get("sortpubdate")),
                pmid=str(uid),
                doi=_clean_doi(ids_of.get("doi")),
                nct=nct.group(0) if nct else "",
                url=f"https://pubmed.ncbi.nlm.nih.gov/{uid}/",
                publication_types=tuple(str(t) for t in doc.get("pubtype") or ()),
            )
        )
    return out


def parse_europepmc(payload: Any) -> list[Record]:
    """Records of a Europe PMC ``/search`` response (``format=json``)."""
    results = _need(_need(payload, "resultList", Mapping, "europepmc"), "result", list, "europepmc")
    out = []
    for r in results:
        title = str(_need(r, "title", str, "europepmc"))
        src, rid = str(r.get("source") or ""), str(_need(r, "id", (str, int), "europepmc"))
        authors = str(r.get("authorString") or "")
        nct = _NCT.search(title)
        out.append(
            Record(
                source="Europe PMC",
                source_id=f"{src}:{rid}" if src else rid,
                title=title,
                first_author=authors.split(",")[0].strip().rstrip("."),
                year=_year(r.get("pubYear") or r.get("firstPublicationDate")),
                pmid=str(r.get("pmid") or ""),
                doi=_clean_doi(r.get("doi")),
                nct=nct.group(0) if nct else "",
                url=f"https://europepmc.org/article/{src}/{rid}" if src else "",
                publication_types=tuple(
                    t.strip() for t in str(r.get("pubType") or "").split(";") if t.strip()
                ),
                preprint=src == "PPR" or "preprint" in str(r.get("pubType") or "").lower(),
            )
        )
    return out


def parse_ctgov(payload: Any, recording: str = "ctgov") -> list[Record]:
    """Records of a ClinicalTrials.gov API v2 ``/studies`` response."""
    studies = _need(payload, "studies", list, recording)
    out = []
    for s in studies:
        proto = _need(s, "protocolSection", Mapping, recording)
        ident = _need(proto, "identificationModule", Mapping, recording)
        nct = str(_need(ident, "nctId", str, recording))
        status = proto.get("statusModule") or {}
        design = proto.get("designModule") or {}
        sponsor = (proto.get("sponsorCollaboratorsModule") or {}).get("leadSponsor") or {}
        date = (status.get("startDateStruct") or {}).get("date") or (
            status.get("studyFirstPostDateStruct") or {}
        ).get("date")
        out.append(
            Record(
                source="ClinicalTrials.gov",
                source_id=nct,
                title=str(ident.get("officialTitle") or ident.get("briefTitle") or ""),
                first_author=str(sponsor.get("name") or ""),
                year=_year(date),
                nct=nct,
                url=f"https://clinicaltrials.gov/study/{nct}",
                conditions=tuple(
                    str(c) for c in (proto.get("conditionsModule") or {}).get("conditions") or ()
                ),
                allocation=str((design.get("designInfo") or {}).get("allocation") or ""),
                study_type=str(design.get("studyType") or ""),
                has_results=bool(s.get("hasResults")) if "hasResults" in s else None,
            )
        )
    return out


#: pages read per source and window at most (a weekly window needs one)
MAX_PAGES = 10


def _too_many(what: str, size: int) -> SourceError:
    return SourceError(
        f"{what}: more than {MAX_PAGES * size} records in the window; run it with a shorter one"
    )


def pubmed(fetch: Fetcher, window: Window, polite: Mapping[str, str]) -> list[Record]:
    """ESearch (entry date in the window, paged by ``retstart``) then ESummary of the PMIDs."""
    term = pubmed_term()
    size = 200
    ids: list[str] = []
    first: Any = None
    for page in range(MAX_PAGES):
        found = fetch.get(
            "pubmed_esearch",
            URLS["esearch"],
            {
                "db": "pubmed",
                "term": term,
                "retmode": "json",
                "retmax": str(size),
                "retstart": str(page * size),
                "datetype": "edat",
                "mindate": window.since.strftime("%Y/%m/%d"),
                "maxdate": window.until.strftime("%Y/%m/%d"),
                **polite,
            },
        )
        first = first if first is not None else found
        more = [i for i in esearch_ids(found) if i not in ids]
        ids += more
        count = str(found["esearchresult"].get("count", "0"))
        if not more or len(ids) >= (int(count) if count.isdigit() else 0):
            break
    else:
        raise _too_many("pubmed_esearch", size)
    summary: dict[str, Any] = {}
    for i in range(0, len(ids), size):  # ESummary by batches (NCBI: 200 UIDs in a GET)
        part = fetch.get(
            "pubmed_esummary",
            URLS["esummary"],
            {"db": "pubmed", "id": ",".join(ids[i : i + size]), "retmode": "json", **polite},
        )
        result = _need(part, "result", Mapping, "pubmed_esummary")
        uids = _need(result, "uids", list, "pubmed_esummary")
        got = summary.setdefault("result", {"uids": []})
        got["uids"] += [u for u in uids if u not in got["uids"]]
        got.update({k: v for k, v in result.items() if k != "uids"})
    merged = {"esearchresult": {**first["esearchresult"], "idlist": ids}}
    return [_with_query(r, term) for r in parse_pubmed(merged, summary)]


def europepmc(fetch: Fetcher, window: Window, polite: Mapping[str, str]) -> list[Record]:
    """Europe PMC search, first publication date in the window, preprints included; paged
    by ``cursorMark`` (``nextCursorMark`` of the previous page)."""
    query = europepmc_query(window)
    size, cursor = 200, "*"
    out: list[Record] = []
    for _ in range(MAX_PAGES):
        payload = fetch.get(
            "europepmc",
            URLS["europepmc"],
            {
                "query": query,
                "format": "json",
                "resultType": "lite",
                "pageSize": str(size),
                "cursorMark": cursor,
            },
        )
        page = parse_europepmc(payload)
        out += page
        hits = payload.get("hitCount")
        nxt = payload.get("nextCursorMark")
        if not page or not nxt or nxt == cursor or (isinstance(hits, int) and len(out) >= hits):
            break
        cursor = str(nxt)
    else:
        raise _too_many("europepmc", size)
    return [_with_query(r, query) for r in out]


def ctgov_query() -> tuple[str, str]:
    """ClinicalTrials.gov ``query.intr`` and ``query.cond`` terms."""
    intr = " OR ".join(f'"{t}"' for t in INTERVENTION_TERMS[:2]) + " OR IVIG"
    cond = " OR ".join(f'"{t}"' for t in _diseases())
    return intr, cond


def ctgov(fetch: Fetcher, window: Window, polite: Mapping[str, str]) -> list[Record]:
    """Randomised interventional studies of IVIG in the diseases, updated in the window."""
    intr, cond = ctgov_query()
    advanced = (
        f"AREA[LastUpdatePostDate]RANGE[{window.since.isoformat()},{window.until.isoformat()}]"
        " AND AREA[DesignAllocation]RANDOMIZED"
    )
    params = {
        "query.intr": intr,
        "query.cond": cond,
        "filter.advanced": advanced,
        "pageSize": "100",
        "format": "json",
    }
    out: list[Record] = []
    for _ in range(MAX_PAGES):  # paged by ``pageToken`` (``nextPageToken``)
        payload = fetch.get("ctgov", URLS["ctgov"], params)
        out += parse_ctgov(payload)
        token = payload.get("nextPageToken")
        if not token or token == params.get("pageToken"):
            break
        params = {**params, "pageToken": str(token)}
    else:
        raise _too_many("ctgov", 100)
    query = f"intervention {intr}; condition {cond}; {advanced}"
    return [_with_query(r, query) for r in out]


def queries(window: Window) -> dict[str, str]:
    """Each source's query for *window*, as the report shows it."""
    intr, cond = ctgov_query()
    return {
        "PubMed": f"{pubmed_term()} (entry date {window.since} to {window.until})",
        "Europe PMC": europepmc_query(window),
        "ClinicalTrials.gov": f"intervention {intr}; condition {cond}; "
        f"updated {window.since} to {window.until}; allocation randomised",
    }


def _with_query(r: Record, query: str) -> Record:
    return replace(r, query=query)


#: source name -> search function, in the report's order
SOURCES: dict[str, Callable[[Fetcher, Window, Mapping[str, str]], list[Record]]] = {
    "PubMed": pubmed,
    "Europe PMC": europepmc,
    "ClinicalTrials.gov": ctgov,
}
