"""The words the catalog parser recognises in work-report Chinese.

Kept in one place so that a reviewer can see, and correct, every word the
parser keys on: what counts as a milestone, what marks a named thing, what is
only framing around a commitment.
"""

from __future__ import annotations

import re

# Verbs whose completion is a dated, observable event (a milestone).
MILESTONE_VERBS: tuple[str, ...] = (
    "实现零的突破",
    "零的突破",
    "通过验收",
    "基本建成",
    "全面完成",
    "全线贯通",
    "开工",
    "建成",
    "投用",
    "投运",
    "签约",
    "创成",
    "争创",
    "创建",
    "完成",
    "成立",
    "组建",
    "出台",
    "推出",
    "启动",
    "贯通",
    "打通",
    "落地",
    "建立",
    "挂牌",
    "获评",
    "入选",
    "进入",
    "全覆盖",
    "通过",
    "新建",
    "争取",
)

# A commitment that opens by encouraging others ("鼓励有条件的企业建立研究院") promises a
# policy stance, not an event: whatever verb follows, it has no finish line.
ENCOURAGEMENT_LEADS: tuple[str, ...] = ("鼓励", "支持", "引导")

# Verbs of continuing effort: what the report will keep doing all year.
EFFORT_VERBS: tuple[str, ...] = (
    "加快",
    "推进",
    "推动",
    "深化",
    "实施",
    "优化",
    "迭代",
    "打造",
    "建设",
    "建好",
    "建强",
    "提升",
    "提速",
    "加强",
    "加大",
    "扩面",
    "培育",
    "完善",
    "健全",
    "发展",
    "强化",
    "提档升级",
    "用好",
    "探索",
    "构建",
    "谋划",
    "招引",
    "落实",
    "升级",
    "支持",
    "鼓励",
    "做强",
    "做大",
    "做精",
    "做靓",
    "做优",
    "打响",
    "集成",
    "整治",
    "改造",
    "储备",
    "开展",
    "推广",
    "巩固",
    "拓展",
    "丰富",
    "规划",
    "布局",
    "孵化",
    "盯引",
    "引进",
    "提炼",
    "扩大",
    "降低",
    "严把",
    "确保",
    "力争",
)

# Adverbs and modal words that may precede the verb; stripped to find the object.
MODAL_PREFIXES: tuple[str, ...] = (
    "进一步",
    "持续",
    "全力",
    "大力",
    "加快",
    "全面",
    "深入",
    "着力",
    "力争",
    "确保",
    "积极",
    "高质量",
    "高标准",
    "常态化",
    "纵深",
    "系统",
    "分层分类",
    "滚动",
    "全域",
    "全线",
    "严格",
    "有条件的企业",
    "紧盯",
    "锚定",
    "实现",
    "有效",
    "不断",
    "牵引",
    "扎实",
    "探索",
    "规划",
    "谋划",
    "优选优引,",
    "快定快落",
    "统筹",
)

# Endings of the names of projects, places, institutions and titles.
NAMED_SUFFIX = re.compile(
    r"(园区|产业园|园|基地|中心|工程|项目|公园|绿道|街区|学院|实验室|联盟|平台|机制|体系|政策|新政"
    r"|试点|示范区|示范带|品牌|集群|商圈|综合体|服务站|经济区|片区|区块|小区|渔港|公路|机场|IP"
    r"|联合体|指挥室|网络|南区|二期|基金|空间|孵化器|集团|制度|模式|行动|改革|生态圈|样板|助联体"
    r"|专项治理|专项整治|医联体|教共体|医共体|问题池|综合体|交易中心|公共品牌|新政|矩阵"
    r"|研究院|冠军|链长制|整治|院校|监管区|计划)"
)

# Clause openings that only frame the clauses after them ("以…为抓手", "聚焦…").
FRAMING = re.compile(
    r"^(以.{1,30}为(主线|突破|统领|抓手|引领|牵引|重点|主承载|重点)"
    r"|聚焦|围绕|瞄准|依托|坚持|紧紧围绕|坚定|统筹高质量|突出以|牢牢扭住|扭住|强化问题导向"
    r"|倒排工期|并联推进|紧盯关键环节|建管并举|统筹推进|创新方式|多元投入)"
)

# Object words too generic to be a named thing on their own.
GENERIC_OBJECTS: frozenset[str] = frozenset(
    {"建设", "工作", "进度", "力度", "功能", "能力", "水平", "体系", "机制", "政策", "模式"}
)

# Trailing words after the named thing ("…等建设", "…开发运营").
OBJECT_TAILS: tuple[str, ...] = (
    "等建设",
    "建设",
    "等新举措",
    "开发运营",
    "开发",
    "进度",
    "工作",
    "创建",
    "影响力",
    "平台功能",
    "功能",
    "合作办学",
    "零的突破",
    "全覆盖",
    "试点验收",
    "验收",
)

# Verbs that start a second object inside one item ("A产业集群争创B集群").
INNER_VERBS: tuple[str, ...] = ("争创", "创成", "实现", "进入", "形成")

# Places and landmarks of the district that the reports name without a naming ending.
PLACES: tuple[str, ...] = (
    "飞龙湖",
    "十里长街",
    "南官河",
    "黄礁",
    "白沙",
    "金清",
    "方林",
    "中盛",
    "南官",
    "智慧陆港",
    "未来康养城",
    "商城二期",
    "新荣记",
    "京东",
    "阿里",
    "华为",
    "十洋",
)

# Clause endings of pure slogans ("…新路径", "…落地见效"): nothing to check.
SLOGAN_ENDINGS = re.compile(
    r"(新路径|新模式|高质量发展|落地见效|活力|能力|新优势|高地|吸附力|蝶变|进位|跃升|新封面|双赢"
    r"|路桥经验|均衡发展|力度|组合拳)$"
)

# A sentence that characterises the year ("2026年是“十五五”开局之年"): context, not a promise.
YEAR_CHARACTER = re.compile(r"^(?:20\d\d年|今年|明年)?是.{0,40}(?:之年|的一年|关键一年)$")

# Level qualifiers a news story often leaves out when it names a thing.
LEVEL_QUALIFIERS = re.compile(r"^(国家级|省级|市级|全国|国家|全省|省)")
