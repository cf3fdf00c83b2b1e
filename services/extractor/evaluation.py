"""Scoring the extractor against the hand-labelled articles.

Labels name a commitment by its plan year and a verbatim clause of the
report; the clause is resolved to a catalog id here, so labels survive
catalog id changes and parser improvements. A label that resolves to no
commitment is reported, never silently dropped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from services.catalog import load_catalog
from services.catalog.model import Commitment
from services.events import ArticleFetched, Stage
from services.extractor.matching import ArticleExtractor, Match
from services.extractor.settings import ExtractorSettings
from services.offline_articles import article_from_dict


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def resolve_clause(catalog: list[Commitment], plan_year: int, clause: str) -> str | None:
    """The commitment whose text holds the clause (the shortest such), else the
    one whose text the clause holds."""
    needle = _squash(clause)
    same_year = [c for c in catalog if c.report.plan_year == plan_year]
    holding = [c for c in same_year if needle in _squash(c.text)]
    if holding:
        return min(holding, key=lambda c: len(c.text)).id
    held = [c for c in same_year if _squash(c.text) in needle]
    if held:
        return max(held, key=lambda c: len(c.text)).id
    return None


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    stage_right: int = 0
    planned_tp: int = 0
    planned_fp: int = 0
    planned_fn: int = 0
    planned_as_progress: int = 0  # a labelled plan mention reported as progress

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def stage_accuracy(self) -> float:
        return self.stage_right / self.tp if self.tp else 0.0


SPLITS = ("dev", "heldout", "all")


def display_rows(names: Iterable[str]) -> list[str]:
    """The rows to print, in reading order: the splits of the whole file, then each labelled
    set (in the order first met) by split. A set that lies in one split only (``real-shape-2``,
    ``real-shape-3``, ``real-shape-5``, ``real-shape-8`` and ``real-shape-10`` are held out whole,
    ``real-shape-4``, ``real-shape-6``, ``real-shape-7`` and ``real-shape-9`` are dev whole) gets
    one row: its ``all/`` row would repeat it figure for figure."""
    present = list(names)
    rows = [n for n in SPLITS if n in present]
    sets = list(dict.fromkeys(n.split("/", 1)[1] for n in present if "/" in n))
    for set_name in sets:
        parts = [f"{split}/{set_name}" for split in SPLITS if f"{split}/{set_name}" in present]
        if len(parts) == 2 and parts[1] == f"all/{set_name}":
            parts = parts[:1]
        rows += parts
    return rows


@dataclass
class EvaluationReport:
    by_split: dict[str, Scores]
    articles: Counter[str]
    unresolved: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fp_by_category: Counter[str] = field(default_factory=Counter)

    def render(self, show_errors: bool = False) -> str:
        rows = display_rows(self.by_split)
        width = max([18, *(len(name) for name in rows)])  # "heldout/real-shape-N" is 20 wide
        lines = [
            f"{'split':<{width}} {'articles':>8} {'P':>6} {'R':>6} {'F1':>6} {'stage':>6}  (tp/fp/fn)  planned P/R  plan→progress",
        ]
        for name in rows:
            s = self.by_split[name]
            pp = (
                s.planned_tp / (s.planned_tp + s.planned_fp) if s.planned_tp + s.planned_fp else 0.0
            )
            pr = (
                s.planned_tp / (s.planned_tp + s.planned_fn) if s.planned_tp + s.planned_fn else 0.0
            )
            lines.append(
                f"{name:<{width}} {self.articles[name]:>8} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
                f"{s.stage_accuracy:6.3f}  ({s.tp}/{s.fp}/{s.fn})  {pp:.2f}/{pr:.2f}  {s.planned_as_progress}"
            )
        if self.fp_by_category:
            lines.append(
                "false links by article category: "
                + ", ".join(f"{k}={v}" for k, v in sorted(self.fp_by_category.items()))
            )
        if self.unresolved:
            lines.append(f"{len(self.unresolved)} labels name no catalog commitment:")
            lines.extend(f"  {u}" for u in self.unresolved)
        if show_errors:
            lines.append("errors:")
            lines.extend(f"  {e}" for e in self.errors)
        return "\n".join(lines)


def load_labelled(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


class Linker(Protocol):
    def extract(self, article: ArticleFetched) -> list[Match]: ...


def evaluate_items(
    items: list[dict[str, Any]],
    catalog: list[Commitment],
    extractor: Linker,
    split: str = "all",
) -> EvaluationReport:
    splits = ["dev", "heldout", "all"] if split == "all" else [split]
    report = EvaluationReport({s: Scores() for s in splits}, Counter())
    by_id = {c.id: c for c in catalog}
    for item in items:
        if split != "all" and item.get("split") != split:
            continue
        gold: dict[str, str] = {}
        for label in item.get("links", []):
            cid = resolve_clause(catalog, label["plan_year"], label["clause"])
            if cid is None:
                report.unresolved.append(f"{item['id']}: {label['plan_year']} {label['clause']}")
                continue
            gold[cid] = label["stage"]
        gold_planned = set()
        for label in item.get("planned_mentions", []):
            cid = resolve_clause(catalog, label["plan_year"], label["clause"])
            if cid is None:
                report.unresolved.append(
                    f"{item['id']}: {label['plan_year']} {label['clause']} (planned)"
                )
            elif cid not in gold:
                gold_planned.add(cid)
        matches = extractor.extract(article_from_dict(item))
        predicted = {m.commitment.id: m for m in matches if m.stage != Stage.PLANNED}
        predicted_planned = {m.commitment.id for m in matches if m.stage == Stage.PLANNED}
        first = True
        own_split = item.get("split", "dev")
        names = [own_split, "all"]
        if "set" in item:  # the parts written at different times are scored apart too
            names += [f"{own_split}/{item['set']}", f"all/{item['set']}"]
        for name in names:
            if name.split("/")[0] not in report.by_split:
                continue  # a split not asked for
            if name not in report.by_split:
                if "/" not in name:
                    continue
                report.by_split[name] = Scores()
            record, first = first, False
            s = report.by_split[name]
            report.articles[name] += 1
            for cid, m in predicted.items():
                if cid in gold:
                    s.tp += 1
                    if m.stage.value == gold[cid]:
                        s.stage_right += 1
                    elif record:
                        report.errors.append(
                            f"{item['id']} STAGE {cid} got {m.stage.value} want {gold[cid]}: {m.quote[:60]}"
                        )
                else:
                    s.fp += 1
                    if record:
                        report.fp_by_category[item.get("category", "?")] += 1
                        report.errors.append(
                            f"{item['id']} FP {cid} [{by_id[cid].text[:30]}] {m.stage.value}: {m.quote[:60]} | {';'.join(m.reasons[:4])}"
                        )
            for cid in gold:
                if cid not in predicted:
                    s.fn += 1
                    if record:
                        report.errors.append(
                            f"{item['id']} FN {cid} [{by_id[cid].text[:30]}] want {gold[cid]}"
                        )
            s.planned_tp += len(predicted_planned & gold_planned)
            s.planned_fp += len(predicted_planned - gold_planned - set(gold))
            s.planned_fn += len(gold_planned - predicted_planned)
            s.planned_as_progress += len(set(predicted) & gold_planned)
    return report


class WordPresenceLinker:
    """The baseline the extractor is compared with: a commitment is linked, as
    progress, whenever one of its catalog names occurs in the title or text."""

    def __init__(self, catalog: list[Commitment]) -> None:
        self.names = [(c, [n for n in {*c.entities, *c.aliases} if len(n) >= 2]) for c in catalog]

    def extract(self, article: ArticleFetched) -> list[Match]:
        doc = f"{article.title}\n{article.text}"
        found = []
        for c, names in self.names:
            hit = next((n for n in names if n in doc), None)
            if hit is not None:
                found.append(Match(c, hit, 0, 0, Stage.IN_PROGRESS, [], 1.0, [f"name:{hit}"]))
        return found


def evaluate_file(
    path: Path,
    split: str = "all",
    catalog: list[Commitment] | None = None,
    baseline: bool = False,
) -> EvaluationReport:
    catalog = catalog if catalog is not None else load_catalog()
    # The term cache makes re-running the labelled set after a rule change start fast;
    # a change to the rules that build the tables changes its key.
    cache_dir = ExtractorSettings().cache_path()
    linker: Linker = (
        WordPresenceLinker(catalog) if baseline else ArticleExtractor(catalog, cache_dir)
    )
    return evaluate_items(load_labelled(path), catalog, linker, split)
