"""Check the labelled evaluation set before anyone measures with it.

Why: the extractor's precision/recall are only as good as these labels. A
label whose clause is not a verbatim piece of the report's *plan* part cannot
be mapped to a catalog commitment, and a wrong date or category silently
skews the figures. Run ``python tests/data/labelled/validate.py``; it exits 1
on any error and prints the counts the README quotes.

Usage: validate.py [ARTICLES.jsonl] [--seeds DIR] [--partial] [--catalog FILE]
``--partial`` skips the whole-set targets (size, negative share, coverage)
while batches are still being written. ``--catalog`` (default: the repository catalog when present; ``--no-catalog``
to skip) checks that
every clause maps to exactly one catalog commitment of the same plan year (the
mapping the evaluation uses to turn a label into a commitment id).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

Article = dict[str, Any]  # one labelled article, as parsed from JSON

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
# The repository's copy of the two reports; LUQIAO_SEEDS_DIR overrides it.
DEFAULT_SEEDS = Path(os.environ.get("LUQIAO_SEEDS_DIR", REPO / "services" / "catalog" / "reports"))
DEFAULT_CATALOG = REPO / "services" / "catalog" / "data" / "catalog.json"
CATEGORIES = {
    "positive",
    "other_district",
    "plan_restatement",
    "feature",
    "pre_plan",
    "negated",
    "review",
    "report",
}
# Categories whose text is a whole document (a report or a review as the site publishes it),
# exempt from the news length limits.
DOCUMENTS = {"review", "report"}
# The sets and which of them lie in one split whole: one owner, build_articles.py, which
# assigns the splits this file checks.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_articles import DEV_ONLY_SETS, HELDOUT_ONLY_SETS, SETS  # noqa: E402

HARD_NEGATIVES = {"other_district", "plan_restatement", "feature", "pre_plan", "negated"}
STAGES = {"started", "in_progress", "completed", "delayed"}
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "split": str,
    "set": str,
    "url": str,
    "title": (str, type(None)),  # None: a headline-less repost
    "published_at": str,
    "source": str,
    "column": str,
    "text": str,
    "category": str,
    "links": list,
    "planned_mentions": list,
    "note": str,
}
MIN_CHARS, MAX_CHARS = 300, 3000


@dataclass(frozen=True)
class Report:
    """One work report: its full text and plan part, line breaks removed."""

    plan_year: int
    adopted: date
    full: str
    plan: str


# plan year -> (marker that identifies the file, marker where the plan part starts, adoption day)
REPORT_MARKERS = {
    2025: ("展望2025", "展望2025", date(2025, 1, 9)),
    2024: ("在先行示范中再谱新篇", "在先行示范中再谱新篇", date(2024, 1, 10)),
}


def flatten(text: str) -> str:
    """Remove line breaks, as the brief defines clause matching."""
    return text.replace("\r", "").replace("\n", "")


def load_reports(seeds: Path) -> dict[int, Report]:
    """Find each plan year's report file by its marker and cut out the plan part."""
    reports: dict[int, Report] = {}
    for path in sorted(seeds.glob("*.txt")):
        full = flatten(path.read_text(encoding="utf-8"))
        for year, (file_marker, plan_marker, adopted) in REPORT_MARKERS.items():
            if file_marker in full:
                plan = full[full.index(plan_marker) :]
                reports[year] = Report(year, adopted, full, plan)
    missing = set(REPORT_MARKERS) - set(reports)
    if missing:
        raise SystemExit(f"report(s) for plan year {sorted(missing)} not found in {seeds}")
    return reports


def check_ref(ref: object, reports: dict[int, Report], with_stage: bool) -> list[str]:
    """A link or planned mention must name a verbatim, unique plan-part clause."""
    if not isinstance(ref, dict):
        return [f"reference is not an object: {ref!r}"]
    errors: list[str] = []
    year, clause = ref.get("plan_year"), ref.get("clause")
    if year not in reports or not isinstance(clause, str) or not clause:
        return [f"bad plan_year/clause: {ref!r}"]
    report = reports[year]
    if clause not in report.plan:
        errors.append(f"clause not in {year} plan part: {clause!r}")
    elif report.full.count(clause) != 1:
        errors.append(
            f"clause not unique in {year} report ({report.full.count(clause)}x): {clause!r}"
        )
    if with_stage and ref.get("stage") not in STAGES:
        errors.append(f"bad stage in {ref!r}")
    if not with_stage and "stage" in ref:
        errors.append(f"planned mention carries a stage: {ref!r}")
    return errors


def check_article(art: Article, reports: dict[int, Report]) -> list[str]:
    """Field types, text size, date, category rules and every reference."""
    errors: list[str] = []
    for key, typ in REQUIRED.items():
        if key not in art or not isinstance(art[key], typ):
            names = "/".join(t.__name__ for t in (typ if isinstance(typ, tuple) else (typ,)))
            errors.append(f"field {key!r} missing or not {names}")
    if errors:
        return errors
    if art["split"] not in {"dev", "heldout"}:
        errors.append(f"bad split {art['split']!r}")
    if art["set"] not in SETS:
        errors.append(f"bad set {art['set']!r}")
    elif art["set"] in HELDOUT_ONLY_SETS and art["split"] != "heldout":
        errors.append(f"set {art['set']!r} is held out whole, not {art['split']!r}")
    elif art["set"] in DEV_ONLY_SETS and art["split"] != "dev":
        errors.append(f"set {art['set']!r} is a dev set whole, not {art['split']!r}")
    if art["title"] is not None and not str(art["title"]).strip():
        errors.append("empty title: leave it null for a headline-less repost")
    category = str(art["category"])
    if category not in CATEGORIES:
        errors.append(f"bad category {category!r}")
    url = str(art["url"])
    if not url.startswith("https://www.luqiao.gov.cn/") or not url.endswith(".html"):
        errors.append(f"url not on the district site: {url}")
    try:
        published = datetime.fromisoformat(str(art["published_at"]))
    except ValueError:
        return errors + [f"published_at does not parse: {art['published_at']!r}"]
    if published.utcoffset() != timedelta(hours=8):
        errors.append("published_at is not +08:00")
    text = str(art["text"])
    size = sum(1 for c in text if not c.isspace())
    if category not in DOCUMENTS and not MIN_CHARS <= size <= MAX_CHARS:
        errors.append(f"text has {size} characters, outside {MIN_CHARS}-{MAX_CHARS}")
    if text.count("\n") < 1:
        errors.append("text has a single paragraph")
    links, planned = list(art["links"]), list(art["planned_mentions"])
    for ref in links:
        errors += check_ref(ref, reports, with_stage=True)
    for ref in planned:
        errors += check_ref(ref, reports, with_stage=False)
    keys = [(r.get("plan_year"), r.get("clause")) for r in links + planned if isinstance(r, dict)]
    if len(keys) != len(set(keys)):
        errors.append("the same commitment is labelled twice")
    day = published.date()
    if category in {"positive", "review"} and not links:
        errors.append(f"{category} article without links")
    if category not in {"positive", "review", "report"} and links:
        errors.append(f"{category} article must not have links")
    if category == "report" and not links and not planned:
        errors.append("report without links or planned_mentions")
    if category == "plan_restatement" and not planned:
        errors.append("plan_restatement without planned_mentions")
    for ref in links:
        if not isinstance(ref, dict) or ref.get("plan_year") not in reports:
            continue
        report = reports[int(ref["plan_year"])]
        in_year = report.adopted <= day <= date(report.plan_year, 12, 31)
        if category == "review":
            ok = day.year == report.plan_year + 1
        elif category == "report":
            # a report's review part credits the previous plan; a year-end review its own year
            ok = in_year or day.year == report.plan_year + 1
        else:
            ok = in_year
        if not ok:
            errors.append(f"published {day} outside the window of plan {report.plan_year}")
    for ref in planned:
        if isinstance(ref, dict) and ref.get("plan_year") in reports:
            report = reports[int(ref["plan_year"])]
            if day < report.adopted:
                errors.append(f"planned mention of plan {report.plan_year} before adoption")
    if category == "pre_plan" and day >= reports[2025].adopted:
        errors.append("pre_plan article published after the last plan was adopted")
    return errors


# v1 articles that label one catalog commitment through two of its clauses (the catalog merges
# the motor and farm-machinery cluster bids into one commitment); kept as written when v1 was
# frozen, reported here rather than silently re-labelled.
KNOWN_DOUBLE_LABELS = {"L065", "L066"}


def check_catalog(articles: list[Article], catalog_path: Path) -> list[str]:
    """Each labelled clause must sit inside exactly one catalog commitment text, and no
    article may label the same commitment twice (the evaluation keys labels by commitment)."""
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    refs = {
        (int(r["plan_year"]), str(r["clause"]))
        for a in articles
        for r in list(a["links"]) + list(a["planned_mentions"])
    }
    errors = []
    for year, clause in sorted(refs):
        ids = [
            c["id"]
            for c in catalog
            if c["report"]["plan_year"] == year and clause in flatten(c["text"])
        ]
        if len(ids) != 1:
            errors.append(f"clause {year} {clause!r} maps to {len(ids)} catalog commitments {ids}")
    if errors:
        return errors
    commitment = {
        (year, clause): next(
            c["id"]
            for c in catalog
            if c["report"]["plan_year"] == year and clause in flatten(c["text"])
        )
        for year, clause in refs
    }
    for art in articles:
        refs_of = list(art["links"]) + list(art["planned_mentions"])
        ids_of = [commitment[(int(r["plan_year"]), str(r["clause"]))] for r in refs_of]
        doubled = sorted({i for i in ids_of if ids_of.count(i) > 1})
        if doubled and art["id"] not in KNOWN_DOUBLE_LABELS:
            errors.append(f"{art['id']}: one commitment labelled through two clauses: {doubled}")
    return errors


def summarize(articles: list[Article]) -> Article:
    """The counts the README reports."""
    by_cat_split = Counter((str(a["category"]), str(a["split"])) for a in articles)
    stages = Counter(str(r["stage"]) for a in articles for r in a["links"])
    linked = {(r["plan_year"], r["clause"]) for a in articles for r in a["links"]}
    mentioned = linked | {
        (r["plan_year"], r["clause"]) for a in articles for r in a["planned_mentions"]
    }
    return {
        "by_cat_split": by_cat_split,
        "stages": stages,
        "links": sum(len(a["links"]) for a in articles),
        "planned": sum(len(a["planned_mentions"]) for a in articles),
        "linked": linked,
        "mentioned": mentioned,
        "chars": [sum(1 for c in str(a["text"]) if not c.isspace()) for a in articles],
    }


LENGTH_BUCKETS = ((0, 599), (600, 999), (1000, 1999), (2000, 3000), (3001, 10**9))


def length_buckets(chars: list[int]) -> dict[str, int]:
    """How many texts fall in each length band (non-space characters)."""
    counts = {}
    for low, high in LENGTH_BUCKETS:
        label = f"{low}-{high}" if high < 10**9 else f">{low - 1}"
        counts[label] = sum(1 for n in chars if low <= n <= high)
    return counts


def print_set_summary(articles: list[Article]) -> None:
    """Per set: categories by split, links and stages by split, lengths, headline-less."""
    for set_name in sorted({str(a["set"]) for a in articles}):
        part = [a for a in articles if a["set"] == set_name]
        cells = Counter((str(a["category"]), str(a["split"])) for a in part)
        cats = ", ".join(
            f"{c} {cells[(c, 'dev')]}/{cells[(c, 'heldout')]}"
            for c in sorted(CATEGORIES)
            if cells[(c, "dev")] + cells[(c, "heldout")]
        )
        print(f"set {set_name}: {len(part)} articles (dev/heldout: {cats})")
        for split in ("dev", "heldout"):
            in_split = [a for a in part if a["split"] == split]
            stages = Counter(str(r["stage"]) for a in in_split for r in a["links"])
            n_planned = sum(len(a["planned_mentions"]) for a in in_split)
            print(
                f"  {split}: {len(in_split)} articles, {sum(stages.values())} links "
                f"{dict(sorted(stages.items()))}, {n_planned} planned mentions"
            )
        chars = sorted(sum(1 for c in str(a["text"]) if not c.isspace()) for a in part)
        print(
            f"  text length: min {chars[0]}, median {chars[len(chars) // 2]}, max {chars[-1]}; "
            f"bands {length_buckets(chars)}"
        )
        print(f"  headline-less (title null): {sum(1 for a in part if a['title'] is None)}")


def print_summary(articles: list[Article], stats: Article) -> None:
    by_cat_split: Counter[tuple[str, str]] = stats["by_cat_split"]
    print(f"articles: {len(articles)}")
    print(f"{'category':18}{'dev':>6}{'heldout':>9}{'total':>7}")
    for cat in sorted(CATEGORIES):
        dev, held = by_cat_split[(cat, "dev")], by_cat_split[(cat, "heldout")]
        print(f"{cat:18}{dev:>6}{held:>9}{dev + held:>7}")
    splits = Counter(str(a["split"]) for a in articles)
    print(f"{'all':18}{splits['dev']:>6}{splits['heldout']:>9}{len(articles):>7}")
    negatives = sum(1 for a in articles if a["category"] in HARD_NEGATIVES)
    print(f"hard negatives: {negatives} ({negatives / max(len(articles), 1):.0%})")
    print(f"links: {stats['links']}  stages: {dict(sorted(stats['stages'].items()))}")
    for split in ("dev", "heldout"):
        part = [a for a in articles if a["split"] == split]
        n_links = sum(len(a["links"]) for a in part)
        print(f"{split}: {len(part)} articles, {n_links} links")
    print(f"planned mentions: {stats['planned']}")
    linked: set[tuple[int, str]] = stats["linked"]
    mentioned: set[tuple[int, str]] = stats["mentioned"]
    for year in sorted(REPORT_MARKERS):
        n_link = sum(1 for y, _ in linked if y == year)
        n_any = sum(1 for y, _ in mentioned if y == year)
        print(f"plan {year}: {n_link} commitments with links, {n_any} referenced at all")
    chars: list[int] = stats["chars"]
    if chars:
        print(
            f"text length: min {min(chars)}, median {sorted(chars)[len(chars) // 2]}, "
            f"max {max(chars)} characters"
        )
    print_set_summary(articles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("articles", nargs="?", type=Path, default=HERE / "articles.jsonl")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--partial", action="store_true")
    parser.add_argument(
        "--catalog",
        type=Path,
        default=DEFAULT_CATALOG if DEFAULT_CATALOG.exists() else None,
        help="catalog.json to map clauses against (default: the repository's, if present)",
    )
    parser.add_argument("--no-catalog", dest="catalog", action="store_const", const=None)
    args = parser.parse_args(argv)
    reports = load_reports(args.seeds)
    errors: list[str] = []
    articles: list[Article] = []
    ids: Counter[str] = Counter()
    urls: Counter[str] = Counter()
    for lineno, line in enumerate(args.articles.read_text(encoding="utf-8").splitlines(), 1):
        try:
            art = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {lineno}: invalid JSON: {exc}")
            continue
        if not isinstance(art, dict):
            errors.append(f"line {lineno}: not an object")
            continue
        errors += [f"{art.get('id', lineno)}: {e}" for e in check_article(art, reports)]
        ids[str(art.get("id"))] += 1
        urls[str(art.get("url"))] += 1
        articles.append(art)
    errors += [f"duplicate id {k}" for k, n in ids.items() if n > 1]
    errors += [f"duplicate url {k}" for k, n in urls.items() if n > 1]
    if args.catalog is not None and not errors:
        errors += check_catalog(articles, args.catalog)
    if errors:
        print("\n".join(errors))
        print(f"{len(errors)} error(s)")
        return 1
    stats = summarize(articles)
    print_summary(articles, stats)
    if not args.partial:
        negatives = sum(1 for a in articles if a["category"] in HARD_NEGATIVES)
        linked_any: set[tuple[int, str]] = stats["linked"]
        targets = {
            "at least 100 articles": len(articles) >= 100,
            "at least 35% hard negatives": negatives >= 0.35 * len(articles),
            "at least 50 distinct linked commitments": len(linked_any) >= 50,
            "both plan years linked": {y for y, _ in linked_any} == set(REPORT_MARKERS),
        }
        failed = [name for name, ok in targets.items() if not ok]
        if failed:
            print("targets not met: " + "; ".join(failed))
            return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
