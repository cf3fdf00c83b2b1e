"""Finding the commitments an article speaks of, and what it says of them.

Pipeline per article (pure; no I/O):
1. candidates: one Aho-Corasick pass over the text finds every anchor and
   keyword of every commitment;
2. windows: hits are grouped by sentence; a commitment is a candidate in a
   sentence when an anchor occurs there, or enough of its weighted keywords do;
3. filters: the sentence (or the whole article) is about another district;
   the article was published before the commitment's plan was adopted;
4. stage and figures are read from the sentence and the one after it;
   no stage cue at all means a mention, not evidence;
5. per commitment, the best sentence is kept as the quote, the rest counted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

from ahocorasick_rs import AhoCorasick, MatchKind

from services.catalog import units
from services.catalog.model import Commitment, Target
from services.events import (
    ArticleFetched,
    EvidenceFound,
    Figure,
    Progress,
    Stage,
    evidence_id_for,
)
from services.extractor import EXTRACTOR_VERSION
from services.extractor.document import read_document
from services.extractor.figures import figures_in
from services.extractor.places import (
    LUQIAO_MARKERS,
    PLACES_IN_GENERAL,
    article_focus,
    names_luqiao,
    other_places_in,
)
from services.extractor.quotes import MASK
from services.extractor.stages import (
    COUNT_AFTER,
    CUES,
    REFERS_BACK,
    StageReading,
    defined_subject,
    names_an_item,
    opens_instructions,
    read_stage,
    reports_an_event,
    statement_at,
    statement_end,
)
from services.extractor.term_cache import load_tables
from services.extractor.terms import GENERIC, INSTITUTIONAL_SUFFIXES, Profile, general_idf

SENTENCE_RE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
# Half the weighted words name a commitment: one that names two things ("探索混合用地
# 供给、定制式厂房建设") is reported one thing at a time (0.6 missed those on dev).
KEYWORD_COVERAGE = 0.5
MIN_KEYWORDS = 2
# Summed general IDF of the keywords found: two ordinary words ("数字", "经济")
# are not enough, two telling ones ("南官河", "绿道") are.
MIN_KEYWORD_RARITY = 18.0


@dataclass
class Candidate:
    profile: Profile
    sentence_index: int
    anchors: set[str] = field(default_factory=set)
    keywords: set[str] = field(default_factory=set)
    focus: int = -1  # offset of the first anchor (else keyword) hit in the text
    anchor_focus: int = -1
    facts: _ProfileFacts | None = None

    @property
    def coverage(self) -> float:
        p = self.profile
        return sum(p.weights[k] for k in self.keywords) / p.keyword_weight

    @property
    def strength(self) -> float:
        return (0.6 if self.anchors else 0.0) + 0.4 * self.coverage


@dataclass
class Match:
    commitment: Commitment
    quote: str
    start: int
    end: int
    stage: Stage
    figures: list[Figure]
    confidence: float
    reasons: list[str]
    mentions: int = 1
    anchors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    stage_rule: str = ""
    regression: str | None = None  # validated as the contract's `Regression`


def _enough_keywords(c: Candidate) -> bool:
    """Without a name, several weighted keywords must co-occur; a lone keyword
    counts only when it is the commitment's only one and is not a short, common word."""
    if c.coverage < KEYWORD_COVERAGE:
        return False
    if c.facts is not None and len(c.keywords) == 1 and c.keywords <= c.facts.telling:
        return True
    if sum(general_idf(k) for k in c.keywords) < MIN_KEYWORD_RARITY:
        return False
    return len(c.keywords) >= MIN_KEYWORDS or len(c.profile.keywords) == 1


# A short, ordinary word as the only name found ("重大项目" for 常态化储备重大项目100个以上)
# names a kind of thing; with few of the commitment's other words it is not this one.
ORDINARY_NAME_IDF = 12.0  # above the median IDF jieba gives a word it does not know (11.95)
MIN_COVERAGE_BESIDE_ORDINARY_NAME = 0.3
_QUOTED_NAME = re.compile(r"“([^”]+)”")
_COORDINATION = "、和及与"


def _names_it(c: Candidate) -> bool:
    """Is the name found telling enough? A long name, a rare word, one the commitment
    quotes ("入乡筑梦", "六必行动") or lists among the things it joins (口袋公园 in
    "新建一批文体场所、口袋公园和儿童公园") is; another ordinary short word needs company."""
    text = c.profile.commitment.text
    quoted = _QUOTED_NAME.findall(text)
    for a in c.anchors:
        if len(a) > 4 or general_idf(a) >= ORDINARY_NAME_IDF:
            return True
        if any(a.strip('“”"') in q for q in quoted) or _coordinated(a, text):
            return True
    return c.coverage >= MIN_COVERAGE_BESIDE_ORDINARY_NAME


def _coordinated(name: str, text: str) -> bool:
    at = text.find(name)
    if at < 0:
        return False
    before, after = text[at - 1 : at], text[at + len(name) : at + len(name) + 1]
    return bool(before and before in _COORDINATION) or bool(after and after in _COORDINATION)


def _another_name(c: Candidate, sentence: str) -> bool:
    """Do the keywords found run together into another thing's name? "飞龙湖科创走廊" holds
    飞龙湖 and 科创 of "投用飞龙湖科创基地首建南区", but its head (走廊) is not the
    commitment's (基地)."""
    text = c.profile.commitment.text
    found = sorted(c.keywords, key=sentence.find)
    run = "".join(found)
    at, mine = sentence.find(run), text.find(run)
    if len(found) < 2 or at < 0 or mine < 0:
        return False
    theirs_next = sentence[at + len(run) : at + len(run) + 2]
    mine_next = text[mine + len(run) : mine + len(run) + 2]
    # ("专职网格员今年…" and "专职网格员等级化管理" go on alike: the same name.)
    return (
        len(_HAN.findall(theirs_next)) == 2
        and len(_HAN.findall(mine_next)) == 2
        and theirs_next[0] != mine_next[0]
    )


def _clause_of_an_earlier_year(
    sentence: str, cue: str | None, plan_year: int, published_year: int
) -> str | None:
    """The sentence with its cue's clause masked, when that clause names a year before
    the plan's ("2019年获批") and the rest of the sentence is of a later time."""
    if not cue or "年" not in sentence:
        return None
    at = sentence.find(cue)
    start = max(sentence.rfind(c, 0, at) for c in ",，;；") + 1
    ends = [e for e in (sentence.find(c, at) for c in ",，;；") if e >= 0]
    end = min(ends, default=len(sentence))
    clause, rest = sentence[start:end], sentence[:start] + sentence[end:]
    years = [int(y) for y, _ in YEAR_RE.findall(clause)]
    if not years or max(years) >= plan_year:
        return None
    later = year_spoken_of(rest, published_year)
    if later is None or later < plan_year:
        return None
    return sentence[:start] + MASK * (end - start) + sentence[end:]


def _restates_target(c: Candidate, sentence: str) -> bool:
    """Named by what it measures: "集体经济经营性收入达到70万元以上的村已有201个" gives the
    target's own figure (70万元) beside its measure's words, without the commitment's
    name. Two keywords and the target's value in its unit make the link."""
    targets = c.profile.commitment.targets
    if len(c.keywords) < MIN_KEYWORDS or not targets:
        return False
    target = targets[0]
    if f"{target.value:g}" not in sentence and target.text not in sentence:
        return False  # the cheap test first: the figure's digits are not there
    return any(f.value == target.value and f.unit == target.unit for f in figures_in(sentence))


def reporting_year(article: ArticleFetched) -> int:
    """The year an article reports on. A story early in the year that looks back
    ("2024年…", "去年", "回顾") reports on the year before: its events precede
    the new plan and are evidence on the old one."""
    year = article.published_at.year
    if article.published_at.month > 2:
        return year
    # The lead says what the story is: "日前,路桥区公布了2025年十大民生实事项目完成情况"
    # in January 2026 looks back, whatever its closing lines say of the new year.
    lead = article.title + article.text.split("\n", 1)[0]
    back_in_lead = f"{year - 1}年" in lead or "去年" in lead
    ahead_in_lead = f"{year}年" in lead or "今年" in lead
    if back_in_lead != ahead_in_lead:
        return year - 1 if back_in_lead else year
    text = article.title + article.text
    back = text.count(f"{year - 1}年") + text.count("去年") + text.count("回顾")
    ahead = text.count(f"{year}年") + text.count("今年")
    return year - 1 if back > ahead else year


TITLE_CUES = (
    "获评", "入选", "创成", "成功创建", "榜上有名", "命名为", "获认定", "认定为", "摘得", "荣获",
    "获批", "成为",
)  # fmt: skip


# A commitment to win a title: "创成省级旅游休闲街区", "争创国家智慧商检试点".
TITLE_COMMITMENT = re.compile(
    r"(推动|支持|全力|力争|争取|确保)*[^,，、并]{0,8}?(创成|争创|获评|入选|创建|成功创建)"
)


def _names_the_title(cand: Candidate, cue: str | None, sentence: str) -> bool:
    """Winning a title counts only for the title promised: "十里长街获评省非遗主题街区"
    is not "十里长街创成省级旅游休闲街区". For a commitment to win a title, the sentence
    must name the title ("…报送了省级旅游休闲街区的申报材料"), whatever the verb: "美食节
    在十里长街开幕" is no step towards 十里长街 becoming a 省级旅游休闲街区. For another
    commitment said to win a title, its other keywords (those not part of the thing's
    name) must mostly be in the sentence."""
    p = cand.profile
    promised = TITLE_COMMITMENT.match(p.commitment.text)
    if promised:
        title = p.commitment.text[promised.end() :]
        return any(name in title for name in cand.anchors | cand.keywords)
    if cue not in TITLE_CUES:
        return True
    others = [k for k in p.keywords if not any(k in a for a in cand.anchors)]
    if not others:
        return True
    present = sum(p.weights[k] for k in others if _said(k, sentence))
    return present >= 0.5 * sum(p.weights[k] for k in others)


# "零的突破" (the first ever) is said as "首家", "首个": "全区首家国家级单项冠军企业入选".
ZERO_BROKEN = "零的突破"
FIRST_OF_ITS_KIND = re.compile(r"首家|首个|第一家|第一个|实现零")


def _said(keyword: str, sentence: str) -> bool:
    if keyword in sentence:
        return True
    return ZERO_BROKEN in keyword and bool(FIRST_OF_ITS_KIND.search(sentence))


YEAR_RE = re.compile(r"(20\d\d)年(以来)?")
RELATIVE_YEARS = {"前年": -2, "去年": -1, "上年": -1, "今年": 0, "本年": 0}
_RELATIVE_RE = re.compile("|".join(RELATIVE_YEARS) + r"|目前|近日|日前|截至目前")


# A span of years counted back from now: "三年前", "已经有三年了", "五年来", "三年间", "近三年",
# "三年行动实施以来" (a tally since a several-year action began).
YEARS_AGO = re.compile(
    r"(?<![\d年])近?(?P<n>[一二两三四五六七八九十\d]{1,3})年"
    r"(?P<how>前|来|间|了|行动(?:实施|开展|启动)?以来)"
)
# "这几年", "过去几年": a span of several years, read as starting two years back, so that
# what it tallies ("这几年,城区陆续建成了一批口袋公园") is not this year's news.
SEVERAL_YEARS = re.compile(
    r"这几年|近几年|这些年|过去几年|前些年|过去(?:[两三四五六七八九]|十[一二三四五六七八九]?|\d{1,2})年"
)
# A year named as the base of a comparison ("较去年增长", "与去年同期持平").
COMPARISON_BASE = re.compile(r"(比|较|与|同|于)(20\d\d年|去年|上年)(同期)?")


def year_spoken_of(sentence: str, published_year: int) -> int | None:
    """The latest year a sentence speaks of: "2023年" → 2023, "去年" → the year
    before publication, "目前"/"今年" → the year of publication. "2023年以来,已累计
    改造9个" is a tally over years, read as the year it starts from: it is not
    what this year's plan achieved. None when the sentence names no time."""
    sentence = COMPARISON_BASE.sub("", sentence)  # "与去年同期持平": a base, not the time
    years = [int(y) for y, _since in YEAR_RE.findall(sentence)]
    for m in YEARS_AGO.finditer(sentence):
        # "建成已经有三年了", "三年前" → that year; "三年间,累计打通62条" is a tally
        # over years, read as the year it starts from, like "2023年以来".
        n = units.to_number(m.group("n"))
        if n is not None and 1 <= n <= 30:
            back = int(n) if m.group("how") in ("前", "了") else int(n) - 1
            years.append(published_year - back)
    if SEVERAL_YEARS.search(sentence):
        years.append(published_year - 2)
    for m in _RELATIVE_RE.finditer(sentence):
        years.append(published_year + RELATIVE_YEARS.get(m.group(), 0))
    return max(years) if years else None


OPEN_FRAMES = ("近年来", "近年", "多年来", "近些年", "一直以来")


def background_years(
    doc: str, spans: list[tuple[int, int]], published_year: int
) -> list[int | None]:
    """The year each sentence speaks of, a paragraph's time carrying on to its
    sentences that name none: a background paragraph opened by "2023年,我区…"
    keeps recounting 2023 until a sentence names a later time."""
    out: list[int | None] = []
    current: int | None = None
    previous_end = 0
    for s, e in spans:
        if "\n" in doc[previous_end:s] or s == 0:
            current = None  # a new paragraph starts without a time
        own = year_spoken_of(doc[s:e], published_year)
        if own is not None:
            current = own
        elif doc[s:e].lstrip().startswith(OPEN_FRAMES):
            current = None  # "近年来,…": a span of years, no longer the one named before
        out.append(current)
        previous_end = e
    return out


T = TypeVar("T")


class _CarriedInParagraph(Generic[T]):
    """A fact a sentence states, or carries on from an earlier sentence of its
    paragraph, read lazily: only for the sentences a candidate sits in, going back
    to the first one that states it (`own`), one that ends the carry (`stops`), or
    the paragraph's start, and remembered for each sentence asked about."""

    default: Any  # T; typed as Any because mypyc rejects a generic class attribute

    def __init__(self, doc: str, spans: list[tuple[int, int]]) -> None:
        self.doc = doc
        self.spans = spans
        self.known: dict[int, T] = {}

    def own(self, sentence: str) -> T | None:
        raise NotImplementedError

    def stops(self, sentence: str) -> bool:
        return False

    def at(self, index: int) -> T:
        if index in self.known:
            return self.known[index]
        doc, spans = self.doc, self.spans
        value = self.default
        i = index
        while i >= 0:
            if i in self.known:
                value = self.known[i]
                break
            s, e = spans[i]
            own = self.own(doc[s:e])
            if own is not None:
                value = own
                break
            if self.stops(doc[s:e]):
                break
            previous_end = spans[i - 1][1] if i > 0 else 0
            if s == 0 or "\n" in doc[previous_end:s]:
                break  # the paragraph starts here
            i -= 1
        self.known[index] = value
        return value


class _BackgroundYears(_CarriedInParagraph[int | None]):
    """`background_years` read lazily. Going back from a sentence, the first one that
    names a year gives it; one that opens with a span of years ("近年来") or starts a
    paragraph ends the search with no year, exactly as the forward reading resets."""

    default: Any = None  # (int | None)

    def __init__(self, doc: str, spans: list[tuple[int, int]], published_year: int) -> None:
        super().__init__(doc, spans)
        self.published_year = published_year

    def own(self, sentence: str) -> int | None:
        return year_spoken_of(sentence, self.published_year)

    def stops(self, sentence: str) -> bool:
        return sentence.lstrip().startswith(OPEN_FRAMES)


class _QuotedInstructions(_CarriedInParagraph[bool]):
    """Is a sentence inside a paragraph of quoted instructions: at or after a
    sentence of its paragraph that opens with them ("会议强调,…")?"""

    default: Any = False  # (bool)

    def own(self, sentence: str) -> bool | None:
        return True if opens_instructions(sentence) else None


def _read_once(
    readings: dict[tuple[str, int, bool], StageReading], window: str, focus: int, record: bool
) -> StageReading:
    """`read_stage`, once per window, focus and kind of text within one article."""
    key = (window, focus, record)
    reading = readings.get(key)
    if reading is None:
        reading = readings[key] = read_stage(window, focus, record)
    return reading


def plan_adopted(commitment: Commitment) -> date:
    return commitment.report.adopted_on or date(commitment.report.plan_year, 1, 1)


# One commitment's hits in one sentence, gathered by the Aho-Corasick pass: a plain
# list [anchors, keywords, focus, anchor_focus] (sets or None, offsets), because most
# of them are dropped (one ordinary keyword) and must be cheap to make; only the kept
# ones become a `Candidate`. focus: the first hit's start, overridden once by the
# first anchor's.
_ANCHORS, _KEYWORDS, _FOCUS, _ANCHOR_FOCUS = 0, 1, 2, 3
_Hits = list[Any]


@dataclass(frozen=True)
class _ProfileFacts:
    """What the per-candidate filters ask of a commitment, computed when the catalog loads."""

    plan_year: int
    adopted: date
    text: str
    lone_keyword: bool  # its only keyword may link it alone
    # Keywords no other commitment has, long and naming a thing ("以旧换新"): one may link
    # it alone when it carries half the weight.
    telling: frozenset[str] = frozenset()


# The tail of a keyword that names a kind of arrangement, not a thing: "服务体系", "专项行动".
# and a keyword ending in a word that says how, not what ("产业项目", "大力开展").
_ARRANGEMENT_TAILS = (
    *INSTITUTIONAL_SUFFIXES,
    *(w for w in GENERIC if len(w) >= 2),
    "试点", "成果", "力度", "政策", "标准", "改革", "任务",
)  # fmt: skip
TELLING_MIN_LENGTH = 4


def _telling_keywords(p: Profile, owners: Counter[str]) -> frozenset[str]:
    """`owners`: how many commitments have each term among their keywords or anchors."""
    return frozenset(
        k
        for k in p.keywords
        if len(k) >= TELLING_MIN_LENGTH
        and owners[k] == 1
        and not k.endswith(_ARRANGEMENT_TAILS)
        and not any(cue in k for cues in CUES.values() for cue in cues)  # "项目开工": an event
        and p.weights[k] / p.keyword_weight >= KEYWORD_COVERAGE
    )


class _Sentence:
    """What every candidate in one sentence shares, read once per article."""

    __slots__ = ("text", "elsewhere", "here", "window", "follows", "figures", "searched")

    def __init__(self, text: str) -> None:
        self.text = text
        self.elsewhere: list[str] | None = None
        self.here: bool | None = None
        self.window = ""
        self.follows = False
        self.figures: list[Figure] | None = None
        self.searched: dict[re.Pattern[str], bool] = {}

    def has(self, pattern: re.Pattern[str]) -> bool:
        """Whether the window holds `pattern` (memoised: several candidates ask)."""
        found = self.searched.get(pattern)
        if found is None:
            found = self.searched[pattern] = pattern.search(self.window) is not None
        return found

    def read_figures(self) -> list[Figure]:
        """The window's figures, read at the first candidate that needs them: a quarter
        of the windows read on the bench's corpora had no candidate that did (dropped
        without a stage, or without a target to weigh the figures against)."""
        if self.figures is None:
            self.figures = figures_in(self.window)
        return self.figures


class ArticleExtractor:
    def __init__(self, catalog: list[Commitment], cache_dir: Path | None = None) -> None:
        """`cache_dir`: where the built tables are kept between processes
        (term_cache.py); None builds them in memory every time."""
        self.profiles = load_tables(catalog, cache_dir).profiles
        owners = Counter(t for p in self.profiles for t in {*p.keywords, *p.anchors})
        self.facts = [
            _ProfileFacts(
                p.commitment.report.plan_year,
                plan_adopted(p.commitment),
                p.commitment.text,
                len(p.keywords) == 1,
                _telling_keywords(p, owners),
            )
            for p in self.profiles
        ]
        index: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        for i, p in enumerate(self.profiles):
            for a in p.anchors:
                index[a].append((i, True))
            for k in p.keywords:
                index[k].append((i, False))
        # One automaton over every anchor and keyword (ahocorasick-rs: ~2.5x faster than
        # pyahocorasick here, same matches in the same order); `terms[i]` is pattern i's
        # term and its owners, (profile index, is an anchor).
        self.terms: list[tuple[str, tuple[tuple[int, bool], ...]]] = [
            (term, tuple(owners)) for term, owners in index.items()
        ]
        self.automaton = AhoCorasick([term for term, _ in self.terms], matchkind=MatchKind.Standard)
        self._empty = not index
        self._admissible_memo: dict[tuple[date, int], list[bool]] = {}

    def sentences(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in SENTENCE_RE.finditer(text) if m.group().strip()]

    def candidates(
        self,
        text: str,
        spans: list[tuple[int, int]],
        admissible: Sequence[bool] | None = None,
    ) -> list[Candidate]:
        """Every (commitment, sentence) the text speaks of, in order of first hit.

        `admissible[i]` false: profile i's candidates would be dropped by the caller
        anyway (another plan year); they are not made, and its names do not make their
        sentence a named one: a 2024 commitment's "文旅项目" does not silence the 2025
        commitment whose words a 2025 story's sentence holds ("环湖生态文旅项目…开工")."""
        if self._empty or not spans:
            return []
        starts = [s for s, _ in spans]
        last = len(starts) - 1
        kept: list[Candidate] = []
        local: dict[int, _Hits] = {}  # the current sentence's hits, by profile
        si = current = -1
        next_start = starts[0]
        terms = self.terms
        for pattern, start, stop in self.automaton.find_matches_as_indexes(text, True):
            # Hits come in order of their end: the sentence index only moves forward
            # (the last sentence starting at or before the hit's last character).
            while next_start < stop:
                si += 1
                next_start = starts[si + 1] if si < last else len(text) + 1
            if si < 0:
                continue
            if si != current:
                if local:
                    self._sentence_candidates(text, spans, current, local, admissible, kept)
                    local = {}
                current = si
            term, owners = terms[pattern]
            for pi, is_anchor in owners:
                hits = local.get(pi)
                if hits is None:
                    local[pi] = (
                        [{term}, None, start, start] if is_anchor else [None, {term}, start, -1]
                    )
                elif is_anchor:
                    if hits[_ANCHORS] is None:
                        hits[_ANCHORS] = {term}
                        hits[_ANCHOR_FOCUS] = hits[_FOCUS] = start
                    else:
                        hits[_ANCHORS].add(term)
                elif hits[_KEYWORDS] is None:
                    hits[_KEYWORDS] = {term}
                else:
                    hits[_KEYWORDS].add(term)
        if local:
            self._sentence_candidates(text, spans, current, local, admissible, kept)
        return kept

    def _sentence_candidates(
        self,
        text: str,
        spans: list[tuple[int, int]],
        si: int,
        local: dict[int, _Hits],
        admissible: Sequence[bool] | None,
        kept: list[Candidate],
    ) -> None:
        """The candidates of one sentence, appended to `kept` in order of first hit."""
        profiles = self.profiles
        named = any(
            hits[_ANCHORS] is not None and (admissible is None or admissible[pi])
            for pi, hits in local.items()
        )
        s, e = spans[si]
        for pi, hits in local.items():
            if hits[_ANCHORS] is not None:
                continue
            pattern = profiles[pi].split_name
            if pattern is None or (admissible is not None and not admissible[pi]):
                continue  # (a dropped profile's split name would change nothing here)
            split = pattern.search(text, s, e)
            if split:
                hits[_ANCHORS] = {split.group()}
                hits[_ANCHOR_FOCUS] = hits[_FOCUS] = split.start()
                named = True
        # A sentence that names one commitment is about it; loose keyword
        # overlap with another commitment there is not a second link.
        for pi, hits in local.items():
            if admissible is not None and not admissible[pi]:
                continue
            anchors, keywords = hits[_ANCHORS], hits[_KEYWORDS]
            if anchors is None:
                if keywords is None:
                    continue
                if not (
                    len(keywords) >= MIN_KEYWORDS
                    or self.facts[pi].lone_keyword
                    or not keywords.isdisjoint(self.facts[pi].telling)
                ):
                    continue  # the cheapest part of _enough_keywords first: same verdict
            cand = Candidate(
                profiles[pi],
                si,
                anchors if anchors is not None else set(),
                keywords if keywords is not None else set(),
                hits[_FOCUS],
                hits[_ANCHOR_FOCUS],
                self.facts[pi],
            )
            if anchors is None:
                restated = _restates_target(cand, text[s:e])
                if (named and not restated) or not (restated or _enough_keywords(cand)):
                    continue
                if _another_name(cand, text[s:e]):
                    continue
            elif not _names_it(cand):
                continue
            kept.append(cand)

    def _admissible(self, published: date, about_year: int) -> list[bool]:
        """Which profiles an ordinary article (not a report read by parts) can be
        evidence on: the plan of the year it reports on, adopted by its publication."""
        key = (published, about_year)
        found = self._admissible_memo.get(key)
        if found is None:
            found = [not (published < f.adopted or f.plan_year != about_year) for f in self.facts]
            if len(self._admissible_memo) < 4096:
                self._admissible_memo[key] = found
        return found

    def extract(self, article: ArticleFetched) -> list[Match]:
        # The title is read as the first sentence: news titles often carry the
        # news ("路北三小新建工程正式开工") that the body words differently.
        body_at = len(article.title) + 1
        doc = f"{article.title}\n{article.text}"
        spans = self.sentences(doc)
        published = article.published_at.date()
        about_year = reporting_year(article)
        structure = read_document(article.text, article.title)
        # Cost follows the hits: everything below reads only what a candidate needs,
        # and an article without any is done after one pass. In ordinary news, the
        # plan year a candidate may belong to is known before it is made.
        admissible = None if structure else self._admissible(published, about_year)
        candidates = self.candidates(doc, spans, admissible)
        if not candidates:
            return []
        years = _BackgroundYears(doc, spans, article.published_at.year)
        quoted = _QuotedInstructions(doc, spans)
        focus: str | None = None  # the article's place, read at the first candidate needing it
        article_is_here = False
        sentences: dict[int, _Sentence] = {}
        readings: dict[tuple[str, int, bool], StageReading] = {}
        best: dict[str, Match] = {}
        for cand in candidates:
            c = cand.profile.commitment
            facts = cand.facts
            assert facts is not None
            si = cand.sentence_index
            s, e = spans[si]
            # A report published whole: its review part speaks of the year before,
            # its plan part of the year ahead, whatever the article's date says.
            part = structure.part_at(s - body_at) if structure and s >= body_at else None
            part_year = structure.year_of(part) if structure and part else None
            if published < facts.adopted or facts.plan_year != (part_year or about_year):
                # Evidence on a plan is what is reported during its year (or in the
                # next year's look back at it); earlier events precede the plan.
                continue
            spoken_of = years.at(si)
            if spoken_of is not None and spoken_of < facts.plan_year:
                continue  # background: a year before the plan
            here = sentences.get(si)
            if here is None:
                here = sentences[si] = _Sentence(doc[s:e])
            sentence = here.text
            if here.elsewhere is None:
                here.elsewhere = other_places_in(sentence)
                here.here = names_luqiao(sentence)
            elsewhere = [p for p in here.elsewhere if p not in facts.text]
            self_named = (
                OURS.search(sentence)
                if any(p in PLACES_IN_GENERAL for p in elsewhere)
                else SELF_REFERENCE.search(sentence)
            )  # ("部分地区由区政府…签订": those places' own 区政府, not ours)
            if elsewhere and not here.here and not self_named:
                # (The district's own news speaking of itself, "我区与宁波大学签约", is here;
                # an article about another place is dropped below whatever it says.)
                continue
            if focus is None:
                lead = doc[: spans[min(2, len(spans) - 1)][1]]
                focus = article_focus(article.title, lead, article.source)
                article_is_here = names_luqiao(doc)
            if focus == "other" and not here.here:
                continue
            if not here.window:
                nxt = spans[si + 1] if si + 1 < len(spans) else None
                here.follows = nxt is not None and s >= body_at and _continues(doc[nxt[0] : nxt[1]])
                here.window = sentence + doc[nxt[0] : nxt[1]] if here.follows and nxt else sentence
            follows, window = here.follows, here.window
            record = part == "review"  # a report's look back states what was done
            reading = _read_once(readings, sentence, cand.focus - s, record)
            earlier = _clause_of_an_earlier_year(
                sentence, reading.cue, facts.plan_year, article.published_at.year
            )
            if earlier is not None:
                # "我区2019年获批开展…试点, 今年推出了…新举措": the cue's own clause is
                # background; the sentence is read without it.
                reading = read_stage(earlier, cand.focus - s, record)
            if reading.stage is None and follows:
                reading = _read_once(readings, window, cand.focus - s, record)
            if reading.stage is None and not record and names_an_item(sentence):
                # ("二、改造老旧小区4个。": its figure is the target, not work done.)
                reading = StageReading(Stage.PLANNED, None, "item_named")
            if reading.stage is None:
                # (Without a target the figures say nothing: not read for it.)
                reading = _reading_from_figures(c, here.read_figures() if c.targets else [])
            if reading.stage is None:
                subject = defined_subject(sentence, cand.focus - s)
                if subject is not None and not any(
                    other.sentence_index == si and any(a in subject for a in other.anchors)
                    for other in candidates
                ):
                    # (A subject that is a commitment itself carries its own news.)
                    reading = _stage_of_subject(doc, spans, subject, record, years, facts.plan_year)
            if reading.stage is None and si > 0 and REFERS_BACK.match(sentence):
                # "…签订特许经营协议。这是我区按照政府和社会资本合作新机制实施的首个…项目":
                # a sentence that says what the thing just told of is takes its event.
                ps, pe = spans[si - 1]
                before = years.at(si - 1)
                if (
                    ps >= body_at
                    and "\n" not in doc[pe:s]
                    and (before is None or before >= facts.plan_year)
                ):
                    told = read_stage(doc[ps:pe], None, record)
                    if told.stage is not None:
                        reading = StageReading(
                            told.stage, told.cue, f"previous_sentence:{told.rule}",
                            told.regression_code,
                        )  # fmt: skip
            if reading.stage is None:
                # "在扩面全民参保方面,…开展精准排摸。截至8月底,全区…参保率达99.52%",
                # "…还有位于峰江街道的国际再生金属交易中心。今年以来,交易中心先后上线了…":
                # a sentence that only names the thing, and the next one of its paragraph
                # that carries one of its words says what.
                rest = _continuation(doc, spans, si, body_at)
                then = years.at(si + 1) if rest else None
                if (
                    rest
                    and (then is None or then >= facts.plan_year)
                    and any(k in rest for k in cand.profile.keywords)
                ):
                    told = read_stage(rest, None, record)
                    if told.stage is not None:
                        reading = StageReading(
                            told.stage, told.cue, f"next_sentence:{told.rule}", told.regression_code
                        )
            if reading.rule == "item_named":
                # "一、打通断头路10条。已全部打通,累计完成投资3.2亿元。": the item's own
                # line tells what became of it, whatever words it uses.
                line_rest = _continuation(doc, spans, si, body_at)
                status = read_stage(line_rest, None, record) if line_rest else None
                if status is not None and status.stage is not None:
                    reading = StageReading(
                        status.stage,
                        status.cue,
                        f"item_status:{status.rule}",
                        status.regression_code,
                    )
            if reading.stage is None:
                continue  # a mention without any progress or plan: feature story
            if (
                part is None
                and reading.stage not in (Stage.PLANNED, Stage.DELAYED)
                and quoted.at(si)
                and not reports_an_event(sentence)
            ):
                # "会议提出,…重点抓好四方面工作:一是推动…": instructions quoted.
                reading = StageReading(Stage.PLANNED, reading.cue, "quoted_instructions")
            if part == "plan" and reading.stage != Stage.PLANNED:
                # The plan part of a report states what is to be done: never progress.
                reading = StageReading(Stage.PLANNED, reading.cue, "document:plan_part")
            if not _names_the_title(cand, reading.cue, sentence):
                continue
            assert reading.stage is not None  # a reading without a stage was skipped above
            figures = here.read_figures()
            stage, fig_rule = _stage_against_target(c, reading.stage, figures)
            if (
                stage == Stage.IN_PROGRESS
                and reading.cue in PHASE_END_CUES
                and OWN_PHASE.search(c.text)
            ):
                # "完成…主体工程": the structure topped out is the commitment itself.
                stage, fig_rule = Stage.COMPLETED, "phase:its_own"
            if (
                stage == Stage.STARTED
                and START_COMMITMENT.match(c.text)
                and _under_way_after(sentence, reading.cue, record)
            ):
                # "开工汽车商贸综合体": "6月开工, 目前地下室结构已全部完成" reports the
                # works under way past the start the commitment promised.
                stage, fig_rule = Stage.IN_PROGRESS, "start:under_way"
            if (
                stage == Stage.COMPLETED
                and reading.cue not in TITLE_CUES
                and TITLE_COMMITMENT.match(c.text)
                and not _title_conferred(sentence)
            ):
                # "创建方案通过省级评审, 被推荐上报农业农村部": for a title, a review passed
                # or works done are steps; only the title conferred (获评, 命名为…) is the end.
                stage, fig_rule = Stage.IN_PROGRESS, "title:a_step"
            if stage == Stage.COMPLETED and FULL_COVERAGE_GOAL.search(c.text):
                share = PARTIAL_COVERAGE.search(sentence)
                if share is not None and float(share.group(1)) < 100:
                    # "深化企业数字化改造全覆盖": "覆盖率提高到82%" is on the way to all.
                    stage, fig_rule = Stage.IN_PROGRESS, f"coverage:{share.group(1)}%"
                elif (
                    share is None
                    and not WHOLE_DONE.search(sentence)
                    and COUNT_AFTER.search(sentence)
                ):
                    # "新建技能型社会基本单元32个": units counted, not the whole covered.
                    stage, fig_rule = Stage.IN_PROGRESS, "coverage:counted"
            if (
                stage == Stage.COMPLETED
                and _one_of_many(c, figures, sentence)
                and not WHOLE_DONE.search(sentence)
                and not here.has(TARGET_MET)
            ):
                # "打通断头路10条": "横街至蓬街的断头路正式通车" is one of them.
                stage, fig_rule = Stage.IN_PROGRESS, "one_of_many"
            if stage == Stage.COMPLETED and _a_part_done(sentence, reading.cue, c.text):
                # "中央绿轴公园北区建成开放", "一期投入运营": a part of it, not all of it.
                stage, fig_rule = Stage.IN_PROGRESS, "a_part_done"
            if stage == Stage.IN_PROGRESS and _whole_done_of_the_thing(sentence, cand):
                # "滚动推进做地、储备、出让…, 做地、储备任务也全面完成".
                stage, fig_rule = Stage.COMPLETED, "whole_done"
            if stage == Stage.COMPLETED and REMAINDER.search(
                _statement_and_its_remainder(window, max(cand.focus - s, 0))
            ):
                # "已有4个建成投用, 其余2个正在装修": part of it.
                stage, fig_rule = Stage.IN_PROGRESS, "remainder_under_way"
            if (
                stage == Stage.COMPLETED
                and c.kind == "ongoing"
                and not _achieves_the_thing(reading.cue, sentence, cand)
                and not _whole_done_of_the_thing(sentence, cand)
                and not here.has(TARGET_MET)
            ):
                # "加快发展社区微托育": one more centre built advances an effort
                # that has no finish line; a title won or a policy issued completes it.
                stage, fig_rule = Stage.IN_PROGRESS, "ongoing:one_step"
            if (
                stage == Stage.STARTED
                and c.kind == "ongoing"
                and reading.cue is not None
                and COUNT_AFTER.match(sentence, sentence.find(reading.cue) + len(reading.cue))
            ):
                # "按照项目链机制…新开工项目87个": things started, counted, are the effort
                # at work, not its start.
                stage, fig_rule = Stage.IN_PROGRESS, "ongoing:counted_starts"
            if (
                (c.targets or BATCH.search(c.text))
                and _a_towns_scope(sentence)
                and not here.has(TARGET_MET)
            ):
                if c.targets and c.targets[0].unit == "%":
                    continue  # a town's figure ("全镇…完成固定资产投资21.6亿元") is no district rate
                if stage == Stage.COMPLETED:
                    # "全镇18个行政村…全部达到70万元以上": one town's part of a district target.
                    stage, fig_rule = Stage.IN_PROGRESS, "part:a_town"
            if stage in (Stage.STARTED, Stage.IN_PROGRESS) and here.has(NOT_YET_AWARDED):
                # "申报材料已提交, 评审正在进行, 尚未获批": for a title or an approval,
                # the work before the award is the application, still a plan.
                stage, fig_rule = Stage.PLANNED, "award:not_yet"
            if (
                stage == Stage.COMPLETED
                and c.targets
                and here.has(PART_YEAR)
                and not here.has(TARGET_MET)
                and not WHOLE_DONE.search(sentence)  # "今年以来,…已全部落实到位"
                and not _level_reached(c.targets[0], here.read_figures())
            ):
                # "1—9月地区生产总值增长6.5%": on the way to an annual target, not there.
                stage, fig_rule = Stage.IN_PROGRESS, "part_year"
            reasons = [f"anchor:{a}" for a in sorted(cand.anchors)]
            reasons += [f"keyword:{k}" for k in sorted(cand.keywords)]
            reasons.append(f"stage:{reading.rule}")
            if reading.regression_code:
                reasons.append(f"regression:{reading.regression_code}")
            if fig_rule:
                reasons.append(fig_rule)
            reasons.append(f"place:{focus}")
            if part in ("plan", "review"):
                reasons.append(f"document:{part}_part")
            in_title = s < body_at
            if in_title:
                reasons.append("quote:title")  # offsets are in the title
            start, end = (s, e) if in_title else (s - body_at, e - body_at)
            confidence = _confidence(cand, stage, article_is_here, focus, in_title)
            if reading.rule.startswith(("next_sentence:", "previous_sentence:")):
                confidence = round(confidence - 0.05, 3)  # a sentence that says it itself wins
            match = Match(
                c, sentence.strip(), start, end, stage, list(figures), confidence, reasons,
                anchors=tuple(sorted(cand.anchors)), keywords=tuple(sorted(cand.keywords)),
                stage_rule=reading.rule, regression=reading.regression_code,
            )  # fmt: skip
            prev = best.get(c.id)
            if prev is None:
                best[c.id] = match
            else:
                keep = max(prev, match, key=_rank)
                keep.mentions = prev.mentions + 1
                best[c.id] = keep
        return _prefer_current_plan(list(best.values()), about_year)

    def evidence(self, article: ArticleFetched) -> list[EvidenceFound]:
        return [
            EvidenceFound(
                evidence_id=evidence_id_for(
                    m.commitment.id, article.article_id, article.html_sha256
                ),
                commitment_id=m.commitment.id,
                article_id=article.article_id,
                url=article.url,
                title=article.title,
                published_at=article.published_at,
                quote=m.quote,
                quote_start=m.start,
                quote_end=m.end,
                stage=m.stage,
                figures=m.figures,
                confidence=m.confidence,
                mentions=m.mentions,
                reasons=m.reasons,
                anchors=list(m.anchors),
                keywords=list(m.keywords),
                stage_rule=m.stage_rule,
                regression=m.regression,
                progress=Progress.toward(next(iter(m.commitment.targets), None), m.figures),
                html_sha256=article.html_sha256,
                extractor_version=EXTRACTOR_VERSION,
            )
            for m in self.extract(article)
        ]


# A following sentence that opens like these continues the story of the match.
CONTINUATIONS = (
    "目前",
    "截至",
    "其中",
    "现已",
    "已",
    "该项目",
    "项目",
    "工程",
    "该工程",
    "如今",
    "眼下",
    "预计",
)


def _stage_of_subject(
    doc: str,
    spans: list[tuple[int, int]],
    subject: str,
    record: bool,
    years: _BackgroundYears,
    plan_year: int,
) -> StageReading:
    """What the article reports of a subject defined as part of a commitment: the first
    sentence of its plan year that names the subject with something done ("金清镇全域土地
    综合整治项目正式启动")."""
    for j, (s, e) in enumerate(spans):
        at = doc.find(subject, s, e)
        if at < 0:
            continue
        spoken_of = years.at(j)
        if spoken_of is not None and spoken_of < plan_year:
            continue
        reading = read_stage(doc[s:e], at - s, record)
        if reading.stage is not None and reading.stage != Stage.PLANNED:
            return StageReading(
                reading.stage, reading.cue, f"defined:{reading.rule}", reading.regression_code
            )
    return StageReading(None, None, "no_stage_cue")


def _continuation(doc: str, spans: list[tuple[int, int]], si: int, body_at: int) -> str | None:
    """The sentence after `si` in the same paragraph of the body, if any."""
    if si + 1 >= len(spans) or spans[si][0] < body_at:
        return None
    s, e = spans[si + 1]
    if "\n" in doc[spans[si][1] : s]:
        return None
    return doc[s:e]


def _continues(sentence: str) -> bool:
    """Does the sentence go on with the thing of the one before ("目前,…", "该中心…", also
    after a time: "今年3月,该中心主体工程完工")?"""
    opening = LEADING_TIME.sub("", sentence.lstrip(), count=1)
    return opening.startswith(CONTINUATIONS) or ANAPHOR.match(opening) is not None


LEADING_TIME = re.compile(
    r"^(今年|去年)?(\d{1,2}月(\d{1,2}日)?(底|初|中旬|上旬|下旬)?|年初|年中|日前|近日|此前)[,，]?"
)
# "该中心", "该园区", "该公园": the thing just named, said again.
ANAPHOR = re.compile(r"该[\u4e00-\u9fff]{1,3}(?=[已正主一在于将的,，])")


_STAGE_RANK = {
    Stage.COMPLETED: 4,
    Stage.DELAYED: 4,
    Stage.STARTED: 2,
    Stage.IN_PROGRESS: 3,
    Stage.PLANNED: 0,
}


def _rank(m: Match) -> tuple[bool, float, int]:
    """The quote kept is the one that reports progress, if any sentence does."""
    return (m.stage != Stage.PLANNED, round(m.confidence, 2), _STAGE_RANK[m.stage])


# Cues that finish even an open-ended commitment: a title, a policy, a signing.
DISCRETE_ACHIEVEMENTS = frozenset(
    (*TITLE_CUES, "出台", "印发", "正式发布", "发布《", "发布了《", "成立", "揭牌", "挂牌",
     "创成", "成功创建", "通过验收", "设立", "组建", "建立", "上线", "构建起", "搭建起", "建立起")
)  # fmt: skip
FIRST_BATCH = re.compile(r"首批|第一批")
# A commitment to start something: "开工X", "启动Y".
START_COMMITMENT = re.compile(r"(力争|确保)?(开工|动工|开建|启动)")
# A commitment to a phase ("完成…主体工程") is done when that phase is reached.
OWN_PHASE = re.compile(r"主体工程|主体结构|结顶|封顶")
PHASE_END_CUES = frozenset(("主体结顶", "结顶", "封顶", "完工", "竣工", "建成"))


def _achieves_the_thing(cue: str | None, sentence: str, cand: Candidate) -> bool:
    """A discrete achievement completes an open-ended commitment only when it is
    the commitment's own thing: "“医保地图”4.0版正式上线" does, while "文化特派员林老师,
    今年帮助村里组建了一支舞龙队" is one more instance of the effort. The thing is
    the achievement's when one of the names found is in the cue's own clause."""
    if cue not in DISCRETE_ACHIEVEMENTS:
        return False
    if cue not in TITLE_CUES and FIRST_BATCH.search(sentence):
        # "这是构建…政策体系的首批政策": a first batch, more to come (a title conferred
        # in a first batch, "获评第一批省非遗主题街区", is the title).
        return False
    names = cand.anchors | cand.keywords
    for clause in _CLAUSES.split(sentence):
        at = clause.find(cue)
        if at < 0 or not any(n in clause for n in names):
            continue
        if COUNT_AFTER.match(clause, at + len(cue)):
            # "今年新组建城乡教共体8个": instances of the effort counted, not its end.
            continue
        after = clause[at + len(cue) :].lstrip("了")
        if len(_HAN.findall(after)) >= 3 and not any(n in after for n in names):
            # "金清渔港还上线了“智慧渔港”管理平台", "为共富工坊建立了“订单池”": the thing
            # done is another one, named after the verb: a step of the effort.
            continue
        return True
    return False


_HAN = re.compile(r"[\u4e00-\u9fff]")


_CLAUSES = re.compile(r"[,，;；:：]")


# A part of a thing built: its phase, its section, its zone.
PART_OF_A_THING = re.compile(
    r"(一期|首期|[东南西北]区|[东南西北]段|部分路段|部分)"  # (二期 may be the last)
    r"(?![的])"
)


def _a_part_done(sentence: str, cue: str | None, commitment: str) -> bool:
    """Is what the cue reports done only a part of the thing ("北区建成开放"), the part not
    being the commitment's own ("投用飞龙湖科创基地首建南区")?"""
    if cue is None:
        return False
    for clause in _CLAUSES.split(sentence):
        at = clause.find(cue)
        if at < 0:
            continue
        for m in PART_OF_A_THING.finditer(clause, 0, at):
            if m.group() not in commitment and at - m.end() <= PART_BEFORE_CUE:
                return True
    return False


PART_BEFORE_CUE = 6


def _title_conferred(sentence: str) -> bool:
    """Does a clause of the sentence report a title conferred ("…通过省级验收, 成功创建省级
    示范智慧商圈"), whatever cue the reading took first?"""
    for clause in _CLAUSES.split(sentence):
        if any(t in clause for t in TITLE_CUES):
            told = read_stage(clause)
            if told.stage == Stage.COMPLETED and told.cue in TITLE_CUES:
                return True
    return False


def _under_way_after(sentence: str, start_cue: str | None, record: bool) -> bool:
    """Does the sentence, after its start cue, report the works going on or parts done
    ("6月开工, 目前地下室结构已全部完成", "启动…工作, 首批2所完成撤并")?"""
    at = sentence.find(start_cue) if start_cue else -1
    rest = sentence[at + len(start_cue) :] if start_cue and at >= 0 else ""
    return read_stage(rest, None, record).stage in (Stage.IN_PROGRESS, Stage.COMPLETED)


def _whole_done_of_the_thing(sentence: str, cand: Candidate) -> bool:
    """Does a clause that names the thing say all of it is done (全面完成)?"""
    if not WHOLE_DONE.search(sentence):
        return False
    names = cand.anchors | cand.keywords
    return any(
        WHOLE_DONE.search(clause) and any(n in clause for n in names)
        for clause in _CLAUSES.split(sentence)
    )


def _statement_and_its_remainder(window: str, focus: int) -> str:
    """The statement holding the focus, and the next one when it opens with what is
    left of it ("累计建成418个,覆盖8个镇;剩余2个镇…正在推进中")."""
    end = statement_end(window, focus)
    following = window[end + 1 : statement_end(window, end + 1)] if end < len(window) else ""
    own = statement_at(window, focus)
    return own + following if REMAINDER_LEAD.match(following) else own


# A commitment whose goal is full coverage ("…实现区域全覆盖"; not a 全覆盖标准体系), and a
# coverage short of it reported ("覆盖率提高到82%", "覆盖面达到93.5%").
FULL_COVERAGE_GOAL = re.compile(r"全覆盖(?!标准)")
PARTIAL_COVERAGE = re.compile(r"覆盖(?:率|面)?[^,，;；。%]{0,8}?(\d+(?:\.\d+)?)\s*%")
REMAINDER_LEAD = re.compile(r"\s*(剩余|剩下的?|其余|尚余|另有|还有)")
REMAINDER = re.compile(
    r"(剩余|剩下|其余|尚余|另外)[^,，;；。]{0,24}(正在|正(?!式)|在建|仍在|尚未|未完成|加紧|抓紧)"
)
WHOLE_DONE = re.compile(
    r"全面完成|全部完成|全覆盖|全面建成|全部建成|圆满完成|全部落实到位|全面落实到位|全面落地|全部落地"
)
# A sentence about one town or street of the district, not the whole of it.
TOWN_SCOPE = re.compile(r"全镇|该镇|本镇|全街道|该街道|镇里")
# One of the district's towns or streets as the place of the event ("路桥区蓬街镇今年新建…"),
# the district itself not said.
_TOWN_NAMED = re.compile(
    "(?<!位于)(" + "|".join(m for m in LUQIAO_MARKERS if m.endswith(("镇", "街道"))) + ")"
)  # (not "位于路北街道…的": where a thing is, not whose share)
_DISTRICT_WIDE = re.compile(r"全区|我区|各镇|各街道|镇\(街道\)|镇（街道）")


def _a_towns_scope(sentence: str) -> bool:
    """Is the sentence about one town's part, not the whole district's?"""
    if TOWN_SCOPE.search(sentence):
        return True
    return bool(_TOWN_NAMED.search(sentence)) and not _DISTRICT_WIDE.search(sentence)


# How the district's own news names the district: "我区", "全区", "区委", "区政府".
SELF_REFERENCE = re.compile(r"我区|全区|区委|区政府")
OURS = re.compile(r"我区|全区")
# An award or approval said not to have come (yet), or not even applied for.
NOT_YET_AWARDED = re.compile(
    r"(尚未|仍未|暂未|还未|还没有|更未)(正式)?(获得)?(获批|获评|入选|创成|批复|认定|命名|授牌|申报)"
)
# The year's target said to be met: "截至12月中旬, …提前完成年度目标" is done, part-year or
# not; so is an effort with no finish line that passed its year's figure ("超过500个的年度目标").
TARGET_MET = re.compile(
    r"(完成|超过|超出|突破|达到|实现)了?[^,，;；。]{0,8}?(年度|全年|年初)[^,，;；。]{0,6}(目标|任务)"
    r"|超额完成"
)
# A period short of the whole year: a figure for it is progress on an annual target.
PART_YEAR = re.compile(
    r"1\s*[—\-–~至到]\s*\d{1,2}\s*月|前[一二三]季度|[一二三]季度|上半年|前\d{1,2}个?月|截至\d{1,2}月"
    r"|今年以来|年初以来"
)


def _one_of_many(c: Commitment, figures: list[Figure], sentence: str) -> bool:
    """Does the commitment promise several things ("打通断头路10条", "新建一批口袋公园") while
    the sentence, giving no figure and not the batch ("一批…由此落地"), reports one done?"""
    if not (c.kind == "quantitative" or BATCH.search(c.text)):
        return False
    target = c.targets[0] if c.targets else None
    if target is not None and (target.unit not in units.COUNT_UNITS or target.value <= 1):
        return False
    return not figures and not BATCH.search(sentence)


BATCH = re.compile(r"(?<!第)一批")  # not "第一批": one batch of several


def _level_reached(target: Target, figures: list[Figure]) -> bool:
    """Has the year's work reached its target, which a part of the year can do: things done
    counted ("今年以来打通断头路10条" of 10), or a share of things done ("131个行政村建成…,
    占61.8%" of 60% 的行政村建成…)? A rate of the year (增长6%, 优良率100%) cannot."""
    if target.unit != "%":
        progress = Progress.toward(target, figures)
        return (
            progress is not None
            and progress.done is not None
            and target.comparator in ("=", ">=")
            and progress.done >= target.value
        )
    if not any(cue in target.metric for cue in CUES[Stage.COMPLETED]):
        return False
    progress = Progress.toward(target, figures)
    share = (
        None
        if progress is None
        else (progress.level if progress.level is not None else progress.percent)
    )
    return share is not None and target.comparator in ("=", ">=") and share >= target.value


def _reading_from_figures(c: Commitment, figures: list[Figure]) -> StageReading:
    """A target named by what it measures, with a figure in its unit and no verb:
    "1—9月,全区地区生产总值增长6.5%" reports where the measure stands."""
    if any(_measure_reported(Progress.toward(t, figures), t) for t in c.targets):
        return StageReading(Stage.COMPLETED, None, "figure_reported")
    return StageReading(None, None, "no_stage_cue")


def _measure_reported(progress: Progress | None, target: Target) -> bool:
    """Does the reading give a figure of the target's own measure?"""
    if progress is None:
        return False
    percent_measure = progress.percent is not None and units.comparable("%", target.unit)
    # A bare count ("两个项目") says how many things the sentence names, not a level.
    level = progress.level is not None and target.unit not in units.COUNT_UNITS
    return progress.done is not None or level or percent_measure


def _stage_against_target(
    c: Commitment, stage: Stage, figures: list[Figure]
) -> tuple[Stage, str | None]:
    """ "4个中已有3个完成" is progress, not completion, of a target of 4; so is
    "收入均达到50万元以上" of a target of 70万元; work done that reaches the target
    ("全年完成城市有机更新10.6万平方米" of 10) completes it. A figure that is itself a target
    ("计划改造4个") says nothing of what was done. The figures are read against the
    target once, by the contract's `Progress.toward`."""
    target = c.targets[0] if c.targets else None
    progress = Progress.toward(target, figures) if target is not None else None
    if target is None or progress is None:
        return stage, None
    reached = progress.done if progress.done is not None else progress.level
    if (
        stage == Stage.IN_PROGRESS
        and progress.done is not None
        and target.comparator in ("=", ">=")
        and progress.done >= target.value > 0
    ):
        # "全年完成城市有机更新10.6万平方米" of a target of 10: the work reported reaches it.
        return Stage.COMPLETED, f"figure:{progress.done:g}>={target.value:g}{target.unit}"
    if stage == Stage.COMPLETED:
        if reached is not None and reached < target.value:
            return Stage.IN_PROGRESS, f"figure:{reached:g}<{target.value:g}{target.unit}"
        if progress.percent is not None and progress.percent < 100 and target.unit != "%":
            return Stage.IN_PROGRESS, f"figure:{progress.percent:g}%"
    return stage, None


def _confidence(
    cand: Candidate, stage: Stage, article_is_here: bool, focus: str, in_title: bool
) -> float:
    score = 0.35 + 0.45 * min(cand.strength, 1.0)
    if in_title:
        score -= 0.02  # prefer a body sentence, which says more, when both match
    if article_is_here:
        score += 0.1
    if focus == "luqiao":
        score += 0.05
    if stage == Stage.PLANNED:
        score -= 0.05
    return round(min(max(score, 0.0), 0.99), 3)


def _anchors_of(m: Match) -> set[str]:
    return set(m.anchors)


def _same_thing(a: set[str], b: set[str]) -> bool:
    return any(x in y or y in x for x in a for y in b)


def _prefer_current_plan(matches: list[Match], year: int) -> list[Match]:
    """A sentence naming a project that is in two years' plans is evidence on the
    plan in force when it was published (the newest plan not after it)."""
    by_start: dict[int, list[Match]] = defaultdict(list)
    for m in matches:
        by_start[m.start].append(m)

    def preference(m: Match) -> tuple[bool, int]:
        plan_year = m.commitment.report.plan_year
        return (plan_year <= year, plan_year)

    kept: list[Match] = []
    for group in by_start.values():
        for m in group:
            rivals = [
                o
                for o in group
                if o.commitment.report.plan_year != m.commitment.report.plan_year
                and _same_thing(_anchors_of(o), _anchors_of(m))
            ]
            if not any(preference(o) > preference(m) for o in rivals):
                kept.append(m)
    return kept
