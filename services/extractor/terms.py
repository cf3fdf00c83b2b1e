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

import jieba
import jieba.posseg as pseg

from services.catalog.model import Commitment
from services.extractor.stages import CUES, MODALS

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
}  # fmt: skip
_STAGE_WORDS = {cue for cues in CUES.values() for cue in cues} | set(MODALS)
_CONTENT_POS = ("n", "nz", "ns", "nt", "nr", "vn", "eng", "j", "l", "i")
_PLACE_PREFIXES = ("飞龙湖", "路桥区", "路桥", "台州")


@dataclass
class Profile:
    commitment: Commitment
    anchors: list[str]
    keywords: list[str]
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def keyword_weight(self) -> float:
        return sum(self.weights.get(k, 0.0) for k in self.keywords) or 1.0


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
    return found


@lru_cache(maxsize=1)
def _init_jieba() -> None:
    jieba.setLogLevel(60)
    jieba.initialize()


def _keywords(c: Commitment, anchors: list[str]) -> list[str]:
    _init_jieba()
    text = re.sub(r"[“”\"《》〈〉()（）]", "", c.text)
    words: list[str] = []
    for w in pseg.cut(text):
        word, flag = w.word, w.flag
        if len(word) < 2 or word in GENERIC or word in _STAGE_WORDS or re.search(r"\d", word):
            continue
        if not flag.startswith(_CONTENT_POS) and word not in anchors:
            continue
        if word not in words:
            words.append(word)
    for t in c.targets:
        metric = re.sub(r"[“”\"]", "", t.metric)
        if len(metric) >= 2 and metric not in words and metric not in GENERIC:
            words.append(metric)
    return words


def build_profiles(catalog: list[Commitment]) -> list[Profile]:
    _init_jieba()
    for c in catalog:
        for name in [*c.entities, *c.aliases]:
            if len(name) >= 2:
                jieba.add_word(name, freq=2000, tag="nz")
    profiles = []
    for c in catalog:
        anchors = _anchors(c)
        profiles.append(Profile(c, anchors, _keywords(c, anchors)))
    df = Counter(k for p in profiles for k in set(p.keywords))
    n = max(len(profiles), 1)
    for p in profiles:
        p.weights = {k: math.log(1 + n / df[k]) for k in p.keywords}
    return profiles
