"""English questions over Chinese documents. The embedding model is multilingual in name, but
an English question lands far from the Chinese passage that answers it (measured: the
Nanjing-area question retrieves nothing about Nanjing), and none of its words match Chinese
text. So an English question is given Chinese keywords before retrieval: place and other
names by their pinyin, matched against the words the index actually holds (Nanjing -> 南京,
Bailuwan -> 白鹭湾), and common policy terms from a small glossary (metropolitan area -> 都市圈,
subsidy -> 补贴). The answer is still the cited Chinese sentence."""

from __future__ import annotations

import re
from collections.abc import Iterable

# English word or phrase -> Chinese terms as policy documents write them (longest phrases first).
GLOSSARY: dict[str, str] = {
    "metropolitan area": "都市圈", "metropolitan": "都市圈", "city cluster": "城市群", "urban agglomeration": "城市群",
    "economic circle": "经济圈", "economic belt": "经济带", "new area": "新区", "new district": "新区",
    "development plan": "发展规划", "action plan": "行动方案", "plan": "规划", "policy": "政策", "measures": "办法 措施",
    "land area": "陆域面积 面积", "area": "面积", "population": "人口 常住人口", "residents": "居民 市民",
    "gdp": "地区生产总值", "output": "增加值 产值", "value added": "增加值", "revenue": "收入", "income": "收入",
    "investment": "投资", "fund": "基金", "funds": "基金", "guidance fund": "引导基金", "special fund": "专项资金",
    "budget": "预算", "subsidy": "补贴", "subsidies": "补贴", "housing": "住房 安居", "rental housing": "公租房 租赁住房",
    "talent": "人才", "talents": "人才", "doctoral": "博士", "doctorate": "博士", "phd": "博士", "master": "硕士",
    "masters": "硕士", "bachelor": "本科", "undergraduate": "本科", "graduates": "毕业生",
    "railway": "铁路", "rail": "铁路 轨道", "intercity": "城际", "high-speed": "高铁 高速", "bullet train": "动车",
    "train": "列车 动车 班列", "trains": "列车 动车 班列", "subway": "地铁", "metro": "地铁 轨道交通",
    "expressway": "高速公路", "highway": "公路 高速", "road": "公路 道路", "bus": "公交", "buses": "公交",
    "airport": "机场", "passenger": "旅客", "passengers": "旅客 客流", "cargo": "货运 货邮", "port": "港口 港",
    "route": "线路 航线", "routes": "线路 航线", "length": "长度 全长", "long": "全长 用时", "km": "公里",
    "kilometres": "公里", "kilometers": "公里", "minutes": "分钟", "hours": "小时", "time": "时间 用时",
    "open": "通车 开通", "opened": "通车 开通", "operation": "运营 通车", "built": "建成", "completed": "建成 完成",
    "hospital": "医院", "hospitals": "医院", "medical": "医疗", "school": "学校", "schools": "学校", "education": "教育",
    "university": "大学 高校", "enterprises": "企业", "companies": "企业", "company": "企业 公司", "jobs": "就业 岗位",
    "employment": "就业", "services": "服务 事项", "service": "服务", "government": "政府 政务", "online": "网上 一网通办",
    "meeting": "会议", "meetings": "会议", "joint": "联席 联合", "mayor": "市长", "mayors": "市长", "leader": "组长",
    "leading group": "领导小组", "office": "办公室", "agreement": "协议", "agreements": "协议", "points": "点",
    "conditions": "条件", "requirements": "条件 要求", "apply": "申请", "application": "申请", "valid": "有效期",
    "environment": "环境 生态", "air quality": "空气质量 空气优良", "water": "水", "energy": "能源", "digital": "数字",
    "economy": "经济", "industry": "产业", "industrial": "产业 工业", "park": "园区 产业园", "factory": "工厂",
    "factories": "工厂", "base stations": "基站", "5g": "5G", "data center": "数据中心", "platform": "平台",
    "china-europe railway express": "中欧班列", "express": "班列", "growth": "增长", "target": "目标", "goal": "目标",
    "share": "比重 占比", "rate": "率", "days": "天数", "years": "年", "year": "年", "when": "年 月", "province": "省",
    "city": "市", "cities": "市 城市", "county": "县", "district": "区", "town": "镇", "village": "村",
    "international": "国际", "national": "国家 全国", "china": "中国 我国 全国", "chinese": "中国", "europe": "欧洲 中欧", "european": "欧洲", "asia": "亚洲",
}
# English region kinds and how Chinese documents write them after the name.
_REGIONS = (("metropolitan area", "都市圈"), ("metropolitan", "都市圈"), ("city cluster", "城市群"),
            ("urban agglomeration", "城市群"), ("economic circle", "经济圈"), ("economic belt", "经济带"),
            ("new area", "新区"), ("new district", "新区"))
# Capitalised words that are not names of places or organisations in Chinese documents.
_NOT_NAMES = frozenset("""I A New January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_CJK_TERM = re.compile(r"[\u4e00-\u9fff]{2,4}")


def english_names(question: str) -> list[tuple[str, str]]:
    """The names an English question asks about: its capitalised words after the first that the
    glossary does not know (Nanjing, Changsha, Bailuwan), each with the region kind that follows
    it (Changsha metropolitan area: 都市圈, which the documents must name with it), without the
    Chinese keywords the engine appends in brackets."""
    text = question.split("(", 1)[0]
    out = []
    for m in list(_WORD.finditer(text))[1:]:
        if not m.group()[0].isupper():
            continue
        parts = [re.sub(r"'s$", "", p) for p in m.group().split("-") if p]  # Jianglan-Linchuan: two names
        after = text[m.end():].lower()
        kind = next((zh for en, zh in _REGIONS if after.lstrip().startswith(en)), "")
        out += [(p, kind) for p in parts if p[0].isupper() and p.lower() not in GLOSSARY and p not in _NOT_NAMES]
    return out


def named_in(name: str, text: str, kind: str = "") -> bool:
    """Does the Chinese text name it, in Latin letters or as its pinyin (Nanjing: 南京), and
    followed by `kind` when one is given (Changsha metropolitan area: 长沙都市圈, not 长沙)?"""
    from pypinyin import lazy_pinyin

    if name.lower() in text.lower() and not kind:
        return True
    key = re.sub(r"[^a-z]", "", name.lower())
    chars = re.sub(r"[^\u4e00-\u9fff]", "", text)
    spelled = lazy_pinyin(chars)
    if not key or len(spelled) != len(chars):
        return False
    ends = {0: 0}  # position in the spelled string -> characters before it
    at = 0
    for i, syllable in enumerate(spelled, start=1):
        at += len(syllable)
        ends[at] = i
    joined = "".join(spelled)
    start = joined.find(key)
    while start >= 0:
        if start in ends and start + len(key) in ends:
            follows = chars[ends[start + len(key)]:]
            if follows.startswith(kind):
                return True
        start = joined.find(key, start + 1)
    return False


def pinyin_index(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    """Toneless pinyin (`nanjing`) -> the index's words written that way, for the 2-4 character
    words of the vocabulary."""
    from pypinyin import lazy_pinyin

    out: dict[str, list[str]] = {}
    for term in vocabulary:
        if _CJK_TERM.fullmatch(term):
            out.setdefault("".join(lazy_pinyin(term)), []).append(term)
    return out


def chinese_keywords(question: str, pinyin: dict[str, list[str]]) -> list[str]:
    """Chinese terms for an English question: glossary terms for its words and phrases, and the
    index's words whose pinyin is one of its capitalised words (a name: Nanjing, Xi'an)."""
    text = question.lower()
    out: list[str] = []
    for phrase in sorted(GLOSSARY, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", text):
            out += GLOSSARY[phrase].split()
            text = text.replace(phrase, " ")
    for word in _WORD.findall(question):
        key = re.sub(r"[^a-z]", "", word.lower())
        if word[0].isupper() and key in pinyin:
            out += pinyin[key]
        elif "-" in word and word[0].isupper():  # Changsha-Zhuzhou-Xiangtan: each part is a name
            out += [t for part in word.split("-") for t in pinyin.get(re.sub(r"[^a-z]", "", part.lower()), [])]
    out += re.findall(r"\d+(?:\.\d+)?", question)
    return list(dict.fromkeys(out))
