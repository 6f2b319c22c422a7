"""What a question asks: the kind of fact (a figure, a list, anything else), the entities it
is about (places, organisations) and the words that name the asked-for attribute."""

from __future__ import annotations

import re
from dataclasses import dataclass

from youju.text.numbers import numbers
from youju.text.tokens import QUESTION_WORDS, content_words, tagged

# A figure is asked for: an amount, a share, a duration, a date.
_FIGURE = re.compile(r"多少|多大|多久|多长|多高|多远|多快|几[个项条次年月天家所名人万亿倍岁号点]?|比例|比重|占比|百分之|"
                     r"增速|增长率|城镇化率|面积|人口数|总值|收入|金额|规模|数量|投资额|什么时候|何时|哪年|哪一年|哪天|日期|平均年龄")
_LIST = re.compile(r"哪些|哪几|包括|包含|涵盖|组成|由哪|分别|有什么|范围")
_COMPARE = re.compile(r"和.{1,12}(哪个|谁|分别|各|相比|区别|不同)|哪个.{0,6}(更|最)|相比|区别|不同")
ENTITY_TAGS = {"ns", "nt", "nrt"}
GENERIC_PLACES = frozenset("""城市 地区 区域 全国 国内 国外 国际 我国 各地 当地 本地 周边 周边城市 周边地区 中部 西部 东部 北部
南部 沿海 内陆 全省 全市 省内 市内 县城 城区 城乡 农村 乡村 中心城市""".split())
# Words that name a kind of region: part of the entity (南京都市圈), not the asked-for attribute,
# and the entity must appear with them (上海都市圈 is not 上海).
_COUNTED_PLACES = re.compile(r"^[一二三四五六七八九十两几多各全本该其]+[市省县区地城镇国]$")  # 四市, 两省: not names
REGION_KINDS = ("都市圈", "城市圈", "城市群", "经济圈", "经济带")


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    kind: str  # figure | list | fact
    compare: bool
    content: tuple[str, ...]  # words that say what the question is about
    entities: tuple[str, ...]  # places and organisations it names
    attribute: tuple[str, ...]  # content words that are not entities (面积, 动车, 重点任务)
    focus: tuple[str, ...] = ()  # what X的Y asks for: the words after the last 的 (总体定位)


def analyse(question: str) -> QuestionInfo:
    content = tuple(dict.fromkeys(content_words(question)))
    entities = _entities(question)
    inside_entity = {w for w in content for e in entities if w in e}
    attribute = tuple(w for w in content if w not in inside_entity and w not in QUESTION_WORDS and len(w) > 1)
    if _LIST.search(question):
        kind = "list"
    elif _FIGURE.search(question):
        kind = "figure"
    else:
        kind = "fact"
    tail = question.rsplit("的", 1)[1] if "的" in question else ""
    focus = tuple(w for w in attribute if w in tail)
    return QuestionInfo(question, kind, bool(_COMPARE.search(question)), content, entities, attribute, focus)


def _entities(question: str) -> tuple[str, ...]:
    """Places and organisations, with a region kind that follows them (南京 + 都市圈). Quoted
    terms (“两河一江”) are defined by the documents, not places."""
    words = tagged(re.sub(r"[“\"「『][^”\"」』]*[”\"」』]", " ", question))
    out = []
    for i, (w, flag) in enumerate(words):
        if flag not in ENTITY_TAGS or len(w) < 2 or w in GENERIC_PLACES or _COUNTED_PLACES.match(w):
            continue
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        kind = next((k for k in REGION_KINDS if nxt.startswith(k)), "")
        out.append(w + kind)
    return tuple(dict.fromkeys(out))


# A unit right after a measured thing or a quantity word, with no number between them: the
# number was lost in conversion (国土面积平方公里, 城区常住人口万人, 多达万人, 增加个, 余人).
_DROPPED = re.compile(r"(面积|人口|总值|收入|产值|金额|投资|规模|总量|增加值|达|超过|增加|增至|新增|近|约|余|共|为|至|每年|每人|"
                      r"提高到|达到|突破|发放|缴存|实现|累计|合计|总计)(平方公里|万亩|万人次|万人|万户|万元|亿元|万|亿|元|个|名|户|人次|人|家|所|项|次|"
                      r"列次|列|张|套|件|倍|%)(?![\d一二三四五六七八九十])")


def has_figure(text: str, ignore: tuple[str, ...] = ()) -> bool:
    """Does the text state an amount, share or date (digits, or Chinese numerals with a unit)?
    `多达万人` does not: its number was dropped. Numbers in `ignore` (the question's own,
    like the 17 of `上杭县17所敬老院…`) do not count."""
    return any(n not in ignore for n in numbers(text))


def dropped_number(text: str) -> bool:
    return bool(_DROPPED.search(text))


def entity_core(entity: str) -> str:
    """南京都市圈 -> 南京, 深圳市 -> 深圳: the place itself, which documents name in either form."""
    for kind in REGION_KINDS:
        if entity.endswith(kind) and len(entity) > len(kind) + 1:
            entity = entity[: -len(kind)]
            break
    return re.sub(r"(特别行政区|自治区|自治州|新区|市|省|区|县|镇)$", "", entity) if len(entity) > 2 else entity
