"""The words by which news refers to each commitment.

Built once from the catalog: the catalog's named things and aliases are
anchors (one is enough to point at a commitment); content words of the
clause, found with jieba using the anchors as its user dictionary, are
keywords (several must co-occur). Keywords many commitments share weigh less.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from services.catalog.model import Commitment
from services.extractor.places import LUQIAO_MARKERS
from services.extractor.stages import CUES, MODALS

if TYPE_CHECKING:
    import jieba.posseg as pseg

# Words that say how, not what: never keywords.
GENERIC = {
    "推进", "加快", "深化", "建设", "一批", "持续", "全面", "实施", "推动", "提升", "强化",
    "打造", "完善", "开展", "加强", "工作", "全力", "优化", "创新", "建立", "构建", "探索",
    "大力", "深入", "发展", "项目", "工程", "行动", "机制", "体系", "模式", "能力", "水平",
    "全区", "路桥", "我区", "以上", "进一步", "积极", "有效", "系统", "重点", "力度", "更多",
    "服务", "政策", "新", "加大", "高质量", "一体", "坚持", "聚焦", "围绕", "不断", "新建",
    "提速", "扩面", "迭代", "升级", "做好", "做强", "做大", "做优", "做靓", "建好", "形成",
    "支持", "鼓励", "推出", "出台", "落实", "确保", "力争", "争创", "创建", "实现", "增长",
    "专项", "领域", "方面", "功能", "平台", "基地", "中心", "示范", "试点", "省级", "国家级",
    "一流", "特色",
}  # fmt: skip
_STAGE_WORDS = {cue for cues in CUES.values() for cue in cues} | set(MODALS)
# A verb this rare names the work itself ("出让", "验收", "滚动"), not how it is done.
RARE_VERB_IDF = 8.0
_CONTENT_POS = ("n", "nz", "ns", "nt", "nr", "vn", "eng", "j", "l", "i")
_PLACE_PREFIXES = ("飞龙湖", "路桥区", "路桥", "台州")


@dataclass
class Profile:
    commitment: Commitment
    anchors: list[str]
    keywords: list[str]
    weights: dict[str, float] = field(default_factory=dict)

    keyword_weight: float = 1.0  # sum of the keywords' weights, set with them
    # A long name news splits with inserted words: "非遗特色历史文化街区" as
    # "非遗主题街区". Its first and last words, in order, a few characters apart.
    split_name: re.Pattern[str] | None = None


INSTITUTIONAL_SUFFIXES = ("制度", "机制", "模式", "体系", "流程", "工作", "行动", "工程", "建设")


def _anchors(c: Commitment) -> list[str]:
    found: list[str] = []
    for name in [*c.entities, *c.aliases]:
        name = name.strip()
        if len(name) >= 3 and name not in found:
            found.append(name)
        for prefix in _PLACE_PREFIXES:
            rest = name[len(prefix) :]
            if name.startswith(prefix) and len(rest) >= 4 and rest not in found:
                found.append(rest)
        # News names the thing, not its institutional wrapper: "文化特派员制度" is
        # reported as "新选派文化特派员32名".
        for suffix in INSTITUTIONAL_SUFFIXES:
            core = name.removesuffix(suffix).strip('“”"')
            if core != name and len(core) >= 4 and core not in found:
                found.append(core)
        # "智慧陆港供应链和大宗商品流通渠道": news names one conjunct at a time.
        for part in _conjuncts(name):
            if part not in found:
                found.append(part)
        # "实施农房改造、管线序化、村道提升等专项行动": examples of one kind, named
        # together in news ("村里先后实施了农房改造、管线序化…"): two in a row name it.
        for pair in _listed_pairs(name):
            if pair not in found:
                found.append(pair)
    if not c.entities:
        # A target with no named thing is referred to by what it measures:
        # "落实生育支持措施十五条" → "生育支持措施", "地区生产总值增长6%" → "地区生产总值".
        for t in c.targets:
            measure = _measure_of(t.metric)
            if len(measure) >= 4 and measure not in found:
                found.append(measure)
    return found


_CONJUNCTIONS = frozenset(("和", "与", "及", "以及", "、"))
# Words that measure an effort rather than name its thing: "耕地功能恢复力度".
_EFFORT_TAILS = ("力度", "水平", "能力")


def _conjuncts(name: str) -> list[str]:
    """The things a coordinated name joins ("垦造耕地和耕地功能恢复力度" → "垦造耕地",
    "耕地功能恢复"), cut by jieba so that "和美乡村" stays whole; none for a simple name."""
    words = [w for w, _ in _cut(re.sub(r"[“”\"]", "", name))]
    first = next((i for i, w in enumerate(words) if w in _CONJUNCTIONS), None)
    if first is None or "的" in words[first:] or "等" in words[first:]:
        # "城乡统筹、分层分类、精准高效的社会救助体系", "汽车产业、金属再生和二手车等“一类事”
        # 改革": modifiers or examples of one thing, not things of their own.
        return []
    parts, current = [], ""
    for w in [*words, "、"]:
        if w in _CONJUNCTIONS:
            part = current
            for tail in _EFFORT_TAILS:
                part = part.removesuffix(tail)
            if len(part) >= 4:
                parts.append(part)
            current = ""
        else:
            current += w
    return parts


_LISTED = re.compile(r"((?:[\u4e00-\u9fff]{2,8}、)+[\u4e00-\u9fff]{2,8})等")


def _listed_pairs(name: str) -> list[str]:
    """Any two of a list of examples, in order, as news joins them ("A、B、C等…" → "A、B",
    "A和C", …): "农房改造和村道提升" names "实施农房改造、管线序化、村道提升等专项行动"."""
    m = _LISTED.search(re.sub(r"[“”\"]", "", name))
    if m is None:
        return []
    items = [i for i in m.group(1).split("、") if len(i) >= 3]
    return [
        f"{a}{joint}{b}"
        for n, a in enumerate(items)
        for b in items[n + 1 :]
        for joint in ("、", "和")
    ]


def _measure_of(metric: str) -> str:
    words = [(w, f) for w, f in _cut(re.sub(r"[“”\"]", "", metric)) if w.strip()]
    if words and words[0][1].startswith("v"):
        words.pop(0)  # the clause's verb ("落实", "完成")
    while words and (words[0][0] in GENERIC or words[0][0] in _STAGE_WORDS):
        words.pop(0)
    while words and words[-1][0] in ("增长", "提升", "达到"):
        words.pop()
    return "".join(w for w, _ in words)


# Words of this district's news that jieba's general dictionary lacks; without
# them "飞龙湖科创基地" falls apart into "飞龙/湖科/创基".
DOMAIN_WORDS = (
    "科创", "绿道", "绿轴", "非遗", "文旅", "完小", "技改", "共富", "工坊", "康养", "托育",
    "微托育", "断头路", "老旧小区", "渔港", "数实", "直采", "集采", "跨境电商", "强村",
    "医共体", "教共体", "村集体", "口袋公园", "有机更新", "双百", "驿站", "和美乡村",
)  # fmt: skip


@lru_cache(maxsize=1)
def _tokenizer() -> pseg.POSTokenizer:
    """jieba with the district's places and domain words, but not the catalog's
    whole names: a name must fall apart into its words ("南官河", "主城区",
    "绿道") so that a story that inserts or reorders words still covers them.
    Names themselves are found whole by the Aho-Corasick pass. HMM is off so
    unknown characters never glue into invented words."""
    import jieba  # imported when profiles are built, not when they come from the cache
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    for word in (*LUQIAO_MARKERS, *DOMAIN_WORDS):
        tokenizer.add_word(word, freq=100_000, tag="ns")
    return pseg.POSTokenizer(tokenizer)


def _cut(text: str) -> list[tuple[str, str]]:
    return [(w.word, w.flag) for w in _tokenizer().cut(text, HMM=False)]


# IDFs already looked up (the cached tables'), so a process need not load jieba's table.
_KNOWN_IDF: dict[str, float] = {}


def know_idf(table: dict[str, float]) -> None:
    _KNOWN_IDF.update(table)


@lru_cache(maxsize=4096)
def general_idf(word: str) -> float:
    """How rare a word is in general Chinese text (jieba's IDF table)."""
    known = _KNOWN_IDF.get(word)
    if known is not None:
        return known
    import jieba.analyse

    table = jieba.analyse.default_tfidf
    return float(table.idf_freq.get(word, table.median_idf))


_NUMERAL_CHARS = frozenset("一二两三四五六七八九十百千万亿第多")


def _single_character_runs(text: str) -> list[str]:
    """Runs of two or more one-character words jieba cut from an unknown word, numerals
    and function words left out."""
    runs: list[str] = []
    current = ""
    for word, flag in _cut(text):
        if (
            len(word) == 1
            and "\u4e00" <= word <= "\u9fff"
            and word not in _NUMERAL_CHARS
            and not flag.startswith(("u", "p", "c", "d", "m", "q", "r"))
        ):
            current += word
            continue
        if len(current) >= 2:
            runs.append(current)
        current = ""
    if len(current) >= 2:
        runs.append(current)
    return runs


def _keywords(c: Commitment, anchors: list[str]) -> list[str]:
    text = re.sub(r"[“”\"《》〈〉()（）]", "", c.text)
    words: list[str] = []
    for word, flag in _cut(text):
        if len(word) < 2 or word in GENERIC or word in _STAGE_WORDS or re.search(r"\d", word):
            continue
        rare_verb = flag.startswith("v") and general_idf(word) >= RARE_VERB_IDF
        if not flag.startswith(_CONTENT_POS) and word not in anchors and not rare_verb:
            continue
        if word not in words:
            words.append(word)
    for run in _single_character_runs(text):
        # An abbreviation jieba does not know falls apart into characters ("投/促/委",
        # "精密/智/控"); news writes it whole.
        if run not in words and run not in GENERIC and run not in _STAGE_WORDS:
            words.append(run)
    for t in c.targets:
        metric = re.sub(r"[“”\"]", "", t.metric)
        if len(metric) >= 2 and metric not in words and metric not in GENERIC:
            words.append(metric)
    return words


def _head_phrases(anchors: list[str]) -> list[str]:
    """Shorter names news uses: the last two words of a long name
    ("国家级沿海渔港经济区" → "渔港经济区", "中央绿轴公园" → "绿轴公园")."""
    heads = []
    for name in anchors:
        words = [w for w, _ in _cut(name) if w.strip() and w not in "“”—-"]
        if len(words) >= 3:
            head = "".join(words[-2:])
            if len(head) >= 4 and head not in GENERIC and head not in anchors:
                heads.append(head)
    return heads


MAX_ANCHOR_OWNERS = 2
MIN_KEYWORD_IDF = 6.5
# A name is specific when one of its words is rare in general Chinese text
# (jieba's IDF table): "绿轴", "康养城" are; "目标任务", "产业项目" are not.
MIN_SPECIFIC_IDF = 8.0
MIN_NAME_IDF_SUM = 18.0
_NOT_NAMING_POS = ("m", "q", "f", "u", "c", "p", "x", "d", "r")


def is_specific(name: str, clause: str) -> bool:
    if f"“{name}”" in clause or f"《{name}》" in clause:
        return True  # the report itself quotes it as a name
    words = [(w, f) for w, f in _cut(name) if w.strip() and not re.search(r"[\d.]", w)]
    scores = [general_idf(w) for w, _ in words]
    if scores and max(scores) >= MIN_SPECIFIC_IDF:
        return True
    # Or several ordinary content words that together say much ("机场冷链物流中心",
    # "城镇开发边界"); amounts and positions ("亿元以上") name a class, not a thing.
    content = sum(general_idf(w) for w, f in words if not f.startswith(_NOT_NAMING_POS))
    return content >= MIN_NAME_IDF_SUM


SPLIT_GAP = 6


def _split_name(anchors: list[str]) -> re.Pattern[str] | None:
    """The rarest word of a long name and its head (last) word, in that order."""
    pairs = []
    for name in sorted(anchors, key=len, reverse=True):
        words = [w for w, _ in _cut(re.sub(r"[“”\"]", "", name)) if len(w) >= 2]
        if len(words) < 3 or words[-1] in GENERIC:
            continue
        telling = max(words[:-1], key=general_idf)
        if general_idf(telling) < MIN_SPECIFIC_IDF or telling in _PLACE_PREFIXES:
            continue
        head = words[-1]
        pairs.append(f"{re.escape(telling)}[^,，;；。、]{{0,{SPLIT_GAP}}}{re.escape(head)}")
    return re.compile("|".join(dict.fromkeys(pairs))) if pairs else None


def build_profiles(catalog: list[Commitment]) -> list[Profile]:
    named = [[*c.entities, *c.aliases] for c in catalog]
    derived: list[list[str]] = []
    for names in named:
        derived.append(_head_phrases([n for n in names if len(n) >= 5]))
    owners = Counter(a for c in catalog for a in set(_anchors(c)))
    derived_owners = Counter(h for heads in derived for h in set(heads))
    profiles = []
    for c, heads in zip(catalog, derived, strict=True):
        # A name many commitments share ("社会治理中心") points at none of them.
        candidates = [a for a in _anchors(c) if owners[a] <= MAX_ANCHOR_OWNERS and a not in GENERIC]
        candidates += [h for h in heads if derived_owners[h] == 1 and owners[h] <= 1]
        anchors = [a for a in candidates if is_specific(a, c.text)]
        demoted = [a for a in candidates if a not in anchors and len(a) <= 6]
        keywords = _keywords(c, anchors)
        keywords += [d for d in demoted if d not in keywords]
        profiles.append(Profile(c, anchors, keywords, split_name=_split_name(anchors)))
    df = Counter(k for p in profiles for k in set(p.keywords))
    n = max(len(profiles), 1)
    for p in profiles:
        # Rare in Chinese and rare in the catalog: "绿道" weighs, "经济" barely.
        p.keywords = [k for k in p.keywords if general_idf(k) >= MIN_KEYWORD_IDF]
        p.weights = {k: general_idf(k) * math.log(1 + n / df[k]) for k in p.keywords}
        p.keyword_weight = sum(p.weights.values()) or 1.0
    return profiles
