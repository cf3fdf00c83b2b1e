"""Short quoted phrases, masked so that their words are not read as events.

News quotes the plan's own wording and the names of schemes: "根据区政府工作报告
“开工汽车商贸综合体”的部署", "得票最多的是“改造老旧小区”项目". A verb inside such a
quote names a task; it reports nothing done. A quote with a comma or a full stop in it
is speech ("“以前…，现在…”村民说") and stays readable: people say what happened.
A rumour quoted ("有网民发布消息称“…暂停投用…”", "网传“…”") is a claim, not a report, whatever
its length. A document's title is a name whatever its length: in "会议研究了《关于建立…机制的实施意见》"
建立 is what the document is about, not an event.
"""

from __future__ import annotations

import re

# A quoted phrase: no clause punctuation inside, at most this long.
MAX_PHRASE = 24
_PHRASE = re.compile(rf"“([^“”,，。;；!！?？]{{1,{MAX_PHRASE}}})”")
# Put in place of each masked character: no cue, digit, unit or delimiter matches it,
# and offsets into the text stay where they were.
MASK = "\ufffc"
_CLAIM = re.compile(
    r"(?:网传|传言|传闻|网帖|(?:网民|网友|自媒体|帖子)[^“”。]{0,24}?称)[:：]?“([^“”]{1,300})”"
)
_TITLE = re.compile(r"《([^《》\n]{1,80})》")


def mask_quoted_phrases(text: str) -> str:
    """The text with the inside of every short quoted phrase, every rumour quoted and
    every document title masked, same length."""
    if "《" in text:
        text = _TITLE.sub(lambda m: "《" + MASK * len(m.group(1)) + "》", text)
    if "“" in text:
        text = _CLAIM.sub(
            lambda m: m.group()[: m.start(1) - m.start()] + MASK * len(m.group(1)) + "”", text
        )
    if "“" not in text:
        return text
    return _PHRASE.sub(lambda m: "“" + MASK * len(m.group(1)) + "”", text)
