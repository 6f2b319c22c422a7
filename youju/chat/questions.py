"""What a question asks: the kind of fact (a figure, a date, a person, a place, a list, a
reason, anything else), the entities it is about (places, organisations) and the words that
name the asked-for attribute. Works on Chinese (simplified and traditional) and English
questions; an English one is recognised as such (its words cannot be matched against Chinese
text, so answering leans on meaning alone)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from youju.text.numbers import DATE, numbers
from youju.text.script import to_simplified
from youju.text.tokens import QUESTION_WORDS, content_words, strip_question_words, tagged

# A figure is asked for: an amount, a share, a duration, a date.
_FIGURE = re.compile(r"多少|多大|多久|多长|多高|多远|多快|几[个项条次年月天家所名人万亿倍岁号点]?|比例|比重|占比|百分之|"
                     r"增速|增长率|城镇化率|面积|人口数|总值|收入|金额|(?<![大小])规模|数量|投资额|什么时候|何时|哪年|哪一年|哪天|日期|平均年龄")
_LIST = re.compile(r"哪些|哪几|包括|包含|涵盖|组成|分别|范围")
_COMPARE = re.compile(r"[和与跟同].{1,12}(哪个|哪一个|谁|分别|各|相比|区别|不同)|哪个.{0,6}(更|最)|相比|区别|不同|"
                      r"\b(compare|which is (larger|bigger|smaller|more|less|longer|higher))\b|\bor\b.*\?$", re.I)
Asks = Literal["number", "date", "person", "place", "list", "reason", "how", "fact"]
# Searched in the question folded to simplified characters: every pattern is written in them.
_ASKS: list[tuple[Asks, re.Pattern[str]]] = [
    ("date", re.compile(r"什么时候|何时|哪年|哪一年|哪天|哪一天|几月|几日|几号|哪个月|日期|时间是|年份|哪个时候|何年|"
                        r"(?:西元|公元|民国)几年|"
                        r"\bwhen\b|\bwhat (year|date|day|month)\b", re.I)),
    ("number", re.compile(r"多少|多大|多久|多长|多高|多远|多快|多重|多深|多宽|(?<!哪)几[个项条次年月天家所名人万亿倍岁点座台辆列对户件期批种]|"
                          r"(?<!哪)几[?？]?$|比例|比重|占比|百分之|增速|增长率|城镇化率|人口数|总值|金额|(?<![大小])规模|数量|投资额|平均年龄|有几|"
                          r"\bhow (many|much|long|large|big|far|old|high)\b|\bwhat (is|was) the (area|population|size|number|"
                          r"amount|share|rate|length)\b", re.I)),
    ("person", re.compile(r"谁|哪位|何人|什么人|哪个人|哪一位|姓名|\bwho\b|\bwhom\b", re.I)),
    ("place", re.compile(r"哪里|哪儿|何处|何地|什么地方|哪个地方|哪座城市|哪个城市|哪个国家|哪个省|位于|在哪|哪边|"
                         r"\bwhere\b|\bwhich (city|country|province|place)\b", re.I)),
    ("list", re.compile(r"哪些|哪几|包括|包含|涵盖|组成|分别|有什么|范围|举措|做法|措施|\bwhich\b.*\b(cities|"
                        r"measures|places|items)\b|\blist\b|\bwhat are\b", re.I)),
    ("reason", re.compile(r"为什么|为何|原因|为甚么|\bwhy\b", re.I)),
    ("how", re.compile(r"如何|怎样|怎么|通过什么|\bhow\b", re.I)),
]
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
ENTITY_TAGS = {"ns", "nt", "nrt"}
GENERIC_PLACES = frozenset("""城市 地区 区域 全国 国内 国外 国际 我国 各地 当地 本地 周边 周边城市 周边地区 中部 西部 东部 北部
南部 沿海 内陆 全省 全市 省内 市内 县城 城区 城乡 农村 乡村 中心城市""".split())
# Words that name a kind of region: part of the entity (南京都市圈), not the asked-for attribute,
# and the entity must appear with them (上海都市圈 is not 上海).
_COUNTED_PLACES = re.compile(r"^[一二三四五六七八九十两几多各全本该其]+[市省县区地城镇国]$")  # 四市, 两省: not names
REGION_KINDS = ("都市圈", "城市圈", "城市群", "经济圈", "经济带")
_NOT_NAME_TAGS = {"r", "v", "vn", "p", "c", "u", "uj", "ul", "uz", "ug", "ud", "y", "x", "d", "m"}


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    kind: str  # figure | list | fact (the coarse kind: what an answer must contain)
    compare: bool
    content: tuple[str, ...]  # words that say what the question is about
    entities: tuple[str, ...]  # places and organisations it names
    attribute: tuple[str, ...]  # content words that are not entities (面积, 动车, 重点任务)
    focus: tuple[str, ...] = ()  # what X的Y asks for: the words after the last 的 (总体定位)
    asks: Asks = "fact"  # the finer kind of fact asked for
    english: bool = False  # written in English (or another Latin-script language)
    numbers: tuple[str, ...] = ()  # the question's own numbers (2025 in 到2025年的目标), canonical


def analyse(question: str) -> QuestionInfo:
    """What the question asks and about what. Its kind is read from its simplified form (何時,
    誰, 哪裡 ask as 何时, 谁, 哪里 do); its words and entities are given as it writes them."""
    plain = to_simplified(question)
    content = tuple(dict.fromkeys(content_words(question)))
    entities = tuple(question[i:i + len(e)] if (i := plain.find(e)) >= 0 else e for e in _entities(plain))
    inside_entity = {w for w in content for e in entities if w in e}
    attribute = tuple(w for w in content
                      if w not in inside_entity and to_simplified(w) not in QUESTION_WORDS and len(w) > 1)
    asks: Asks = next((name for name, pattern in _ASKS if pattern.search(plain)), "fact")
    compare = bool(_COMPARE.search(plain))
    if compare and asks == "fact" and _FIGURE.search(plain):
        asks = "number"  # 哪个面积大: the figures decide
    if _LIST.search(plain):
        kind = "list"
    elif _FIGURE.search(plain) or asks in ("number", "date"):
        kind = "figure"
    else:
        kind = "fact"
    tail = question.rsplit("的", 1)[1] if "的" in question else ""
    focus = tuple(w for w in attribute if w in tail)
    return QuestionInfo(question, kind, compare, content, entities, attribute, focus, asks,
                        is_english(question), tuple(numbers(strip_question_words(plain))))  # not 哪一年's 一


def is_english(text: str) -> bool:
    """Mostly Latin letters and no more than a few CJK characters."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    return latin >= 6 and cjk <= latin // 4


def places_named(text: str, exclude: Sequence[str] = ()) -> set[str]:
    """The places a text names (the tagger's ns words), leaving out region names (武汉 of
    武汉都市圈), generic words (城市, 周边地区) and those containing a name in `exclude`."""
    words = tagged(text)
    out = set()
    for i, (w, flag) in enumerate(words):
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        if flag == "ns" and len(w) >= 2 and to_simplified(w) not in GENERIC_PLACES and \
                not nxt.startswith(REGION_KINDS) and not any(e and e in w for e in exclude):
            out.add(w)
    return out


def _entities(question: str) -> tuple[str, ...]:
    """Places and organisations, with a region kind that follows them (南京 + 都市圈). Quoted
    terms (“两河一江”) are defined by the documents, not places."""
    unquoted = re.sub(r"[“\"「『][^”\"」』]*[”\"」』]", " ", question)
    words = tagged(unquoted)
    out = []
    for i, (w, flag) in enumerate(words):
        if flag not in ENTITY_TAGS or len(w) < 2 or w in GENERIC_PLACES or _COUNTED_PLACES.match(w) or "的" in w:
            continue
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        kind = next((k for k in REGION_KINDS if nxt.startswith(k)), "")
        out.append(_undouble(w) + kind)
    # The words before 都市圈/城市群/经济圈 name a region, whatever the tagger made of them
    # (长/株/潭 + 都市圈); a name the tagger did recognise inside them is kept instead.
    for i, (w, _) in enumerate(words):
        if w not in REGION_KINDS:
            continue
        name = _name_before(words, i)
        if len(name) >= 2 and name not in GENERIC_PLACES and not any(entity_core(e) in name for e in out):
            out.append(name + w)
    # A name the tagger does not know, cut anywhere, before 市/区/新区/县/镇 (青/禾市, 江/澜市,
    # 白鹭/湾/新区): the documents a user brings are full of them.
    for i, (w, _) in enumerate(words):
        suffix = next((k for k in ADMIN_KINDS if w.endswith(k)), "")
        if not suffix or w in _NOT_PLACE_WORDS or w in GENERIC_PLACES or _COUNTED_PLACES.match(w):
            continue
        entity = _undouble(_name_before(words, i) + w)
        name = entity[: -len(suffix)]
        if not 2 <= len(name) <= 6 or entity in GENERIC_PLACES or any(entity in e for e in out):
            continue
        out = [e for e in out if e not in entity]  # 澜市 and 钱塘 inside 江澜市 and 钱塘区
        out.append(entity)
    return tuple(dict.fromkeys(out))


def _undouble(place: str) -> str:
    """秋明州州(內) -> 秋明州: the second 州 (市, 县…) is "the state's own", not part of the name."""
    return place[:-1] if len(place) > 2 and place[-1] == place[-2] and place[-1] in "州市县省区镇" else place


ADMIN_KINDS = ("新区", "自治州", "自治区", "市", "区", "县", "镇", "省", "州")
# Common words that end like a place but are not one.
_NOT_PLACE_WORDS = frozenset("""城市 都市 市区 城区 地区 社区 园区 辖区 小区 景区 片区 街区 山区 郊区 老区 特区 开发区 保税区 示范区
试验区 新城区 功能区 自贸区 产业园区 高新区 经开区 拓展区 核心区 先行区 合作区 新片区 园区 超市 门市 股市 楼市 上市 城镇 乡镇 集镇 小镇 重镇 本市 全市 该市 各市 本区 全区 该区 各区
本县 全县 该县 各县 本省 全省 该省 各省 外省 省市 市县 市民 市场 县城 县域 市域 省域 神州 九州 州县""".split())


_MEASURE_WORDS = frozenset("项个家所条名位座批次只套件户")  # 多少项/海宁市: a counted noun's measure word ends the name


def _name_before(words: list[tuple[str, str]], i: int) -> str:
    """The name the tokens before token i spell, whatever the tagger made of them (长/株/潭):
    the run of name-like tokens, without a leading 和/对/在, nor the 年 of 2023年 (年青/禾市)."""
    out: list[str] = []
    j = i - 1
    while j >= 0 and len("".join(out)) < 6 and words[j][1] not in _NOT_NAME_TAGS and words[j][0] not in QUESTION_WORDS \
            and words[j][0] not in REGION_KINDS and words[j][0] not in _MEASURE_WORDS \
            and re.fullmatch(r"[\u4e00-\u9fff]+", words[j][0]):
        out.insert(0, words[j][0])
        j -= 1
    name = "".join(out)
    if j >= 0 and name[:1] in "年月日" and words[j][0].isdigit():
        name = name[1:]
    return re.sub(r"^[和与及跟同对在]", "", name)


# A unit right after a measured thing or a quantity word, with no number between them: the
# number was lost in conversion (国土面积平方公里, 城区常住人口万人, 多达万人, 增加个, 余人).
_DROPPED = re.compile(r"(?<![\d.万亿千百十])(面积|人口|总值|收入|产值|金额|投资|规模|总量|增加值|达|超过|增加|增至|新增|近|约|余|共|为|至|每年|每人|"
                      r"提高到|达到|突破|发放|缴存|实现|累计|合计|总计)(平方公里|万亩|万人次|万人|万户|万元|亿元|万|亿|元|个|名|户|人次|人|家|所|项|次|"
                      r"列次|列|张|套|件|倍|%)(?![\d一二三四五六七八九十])")


def has_figure(text: str, ignore: tuple[str, ...] = ()) -> bool:
    """Does the text state an amount, share or date (digits, or Chinese numerals with a unit)?
    `多达万人` does not: its number was dropped. Numbers in `ignore` (the question's own,
    like the 17 of `上杭县17所敬老院…`) do not count."""
    return any(n not in ignore for n in numbers(text))


_DATE_NUMBER = re.compile(r"(?:公元前?|民[国國]|前)\s*\d{1,4}\s*年|\d{3,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十〇零]{2,4}年")


_ORDINAL = re.compile(r"第\s*[\d一二三四五六七八九十百零〇两]+")


def has_quantity(text: str, ignore: tuple[str, ...] = ()) -> bool:
    """An amount that is not a date nor an ordinal: `2021年4月` states when, `第八条` which
    one, neither how many."""
    return has_figure(_ORDINAL.sub(" ", _DATE_NUMBER.sub(" ", text)), ignore)


# What a measured noun is counted in (人口 in people, 面积 in square kilometres or mu, 资金 in
# yuan): a figure question about it is not answered by a figure in another unit (10亿元 for 人口).
_IMPLIED_UNITS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (  # nouns as folded to simplified
    (("人口", "人才", "人数", "员工", "职工", "学生", "游客", "居民", "球员", "会员"), ("人", "名", "位")),
    (("面积", "占地"), ("平方", "亩", "畝", "公顷", "公頃", "km", "英亩")),
    (("资金", "投资", "金额", "收入", "产值", "总值", "增加值", "补贴", "补助", "奖金", "奖励", "资助", "预算", "经费", "票价", "工资", "营收",
      "费用", "公积金", "存款", "贷款", "税收", "财政", "债务", "价格", "GDP", "gdp", "生产总值", "经济总量", "营业额",
      "销售额", "利润", "市值", "薪酬", "薪资"),
     ("元", "镑", "鎊", "圆", "圓", "币", "幣", "美金", "$", "￥")),
    (("长度", "里程", "全长", "距离", "海拔", "高度", "深度", "宽度"), ("米", "公里", "千米", "英里", "尺", "km")),
)

_OWN_MEASURE = re.compile(r"(?:多少|几)(人次|[项条次年月天家所名人位座台辆列对户件期批种岁套间个])")
_SHARE = re.compile(r"比重|比例|占比|百分|[率速]|倍")
_PEOPLE = ("人", "名", "位")
_DURATION = re.compile(r"多久|多长时间|多少时间")


def expected_units(info: QuestionInfo) -> tuple[str, ...]:
    """The units a figure answering the question carries, when its measured noun says (人口:
    people; 面积: an area); () when it does not, or for a comparison (its sides are checked
    against each other) or a share (比重: a percentage). A measure word after 多少/几 says it
    for people (多少人: 人/名/位; 多少人次: 人次); any other (多少套) leaves the unit open, since
    documents count the same things in other words (55万户 for 多少套)."""
    text = to_simplified(info.text)
    if info.asks != "number" or info.compare or _SHARE.search(text):
        return ()
    if _DURATION.search(text):  # 有效期是多久: a span of time, whatever else the question names
        return ("年", "月", "天", "日", "周", "小时", "分钟", "秒")
    if own := _OWN_MEASURE.search(text):
        return _PEOPLE if own.group(1) in _PEOPLE else ("人次",) if own.group(1) == "人次" else ()
    return tuple(u for nouns, units in _IMPLIED_UNITS if any(n in text for n in nouns) for u in units)


_AMOUNT = r"[\d一二三四五六七八九十两]"  # a numeral: 万 or 亿 alone is a magnitude whose number was lost (达到万人)


def carries_unit(text: str, units: tuple[str, ...]) -> bool:
    """Does an amount in the text come in one of the units (2100万人, not the 人 of 人口; 人次
    counts visits, not people)? The unit follows the number within a few characters (万, 余,
    美 of 美元) or, for a currency sign, precedes it. No units: nothing to carry."""
    if not units:
        return False  # an empty alternation would match any amount
    if "人" in units:
        text = text.replace("人次", "")
    names = "|".join(re.escape(u) for u in units)
    return bool(re.search(rf"{_AMOUNT}[^\d\s,，。;；、]{{0,3}}?(?:{names})|(?:{names})\s*\d", text))


def states_asked_kind(text: str, info: QuestionInfo) -> bool:
    """Does the text hold the kind of fact asked: for a figure question an amount (not a date
    nor an ordinal) in the asked noun's unit, or right after the asked noun (人口…为3400万); for
    a when-question a date or a number, for a which-year question a date; any text for other
    questions."""
    if info.asks == "number":
        units = expected_units(info)
        return has_quantity(text, info.numbers) and (not units or carries_unit(text, units)
                                                     or _measured_before(text, info))
    if info.asks == "date":
        plain = to_simplified(text)  # 時期 and 年間 are periods as 时期 and 年间 are
        if ASKS_YEAR.search(to_simplified(info.text)):  # 哪一年: a year, not 命中率为72.7%
            return bool(DATE.search(plain))
        return bool(DATE.search(plain)) or has_figure(text, info.numbers)
    return True


ASKS_YEAR = re.compile(r"哪一?年|何年|年份|几年|\bwhat year\b", re.I)  # searched in simplified text


def _measured_before(text: str, info: QuestionInfo) -> bool:
    """The asked noun names the amount right before it (人口顛峰值則為3400萬): its unit goes unsaid."""
    q, plain = to_simplified(info.text), to_simplified(text)
    nouns = [n for ns, _ in _IMPLIED_UNITS for n in ns if n in q]
    # a bare amount ending its clause: not a share (人口比重42.7%), not another unit (人才公寓500套)
    return any(re.search(re.escape(n) + r"[^\d\s,，。;；、]{0,6}?" + _AMOUNT + r"[\d.一二三四五六七八九十两百千]*[万亿]?[余多]?"
                         r"(?=[,，。;；、)）]|$)", plain) for n in nouns)


# A compound unit with no number before it is a number lost in conversion (人才万人, 增加值亿元).
_BARE_UNIT = re.compile(r"(?<![\d.万亿千百十一二三四五六七八九两几余多数近约])(万人次|万人|万户|万元|亿元|平方公里|万亩|万吨)")


# People counted with the count lost: 入住老年人名, 失能老人人 (老年人[N]名), at a clause's end.
_COUNT_LOST = re.compile(r"(?<=人)[名人](?=[,，。;；、)）]|$)")


def dropped_number(text: str) -> bool:
    return bool(_DROPPED.search(text) or _BARE_UNIT.search(text) or _COUNT_LOST.search(text))


def subject_cores(entities: Sequence[str]) -> list[str]:
    """The places and organisations a question names, each as its core (entity_core) in
    simplified characters: what `names` looks for."""
    return [to_simplified(entity_core(e)) for e in entities]


def names(text: str, core: str) -> bool:
    """Whether a text names a subject core, read in simplified characters (a traditional
    sentence under a simplified title names 凡尔赛宫 as 凡爾賽宮)."""
    return core in to_simplified(text)


def entity_core(entity: str) -> str:
    """南京都市圈 -> 南京, 深圳市 -> 深圳: the place itself, which documents name in either form."""
    for kind in REGION_KINDS:
        if entity.endswith(kind) and len(entity) > len(kind) + 1:
            entity = entity[: -len(kind)]
            break
    return re.sub(r"(特别行政区|自治区|自治州|新区|市|省|区|县|镇)$", "", entity) if len(entity) > 2 else entity
