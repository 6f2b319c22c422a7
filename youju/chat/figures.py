"""Figures with units, for comparisons: the figure a sentence states for the asked attribute
(`面积2.7万平方公里`), normalised (万 and 亿 multiplied out, so 2.7万平方公里 and 26400平方公里
compare), and the conclusion a comparison question wants, computed from the cited figures."""

from __future__ import annotations

import re
from dataclasses import dataclass

from youju.chat.questions import QuestionInfo
from youju.i18n import t
from youju.text.numbers import normalise

_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?\s*(平方公里|平方米|公里|千米|米|万人次|人次|万人|人|户|套|亿元|万元|元|"
                     r"列|个|项|所|家|吨|亩|倍|%|年|分钟|小时|天)?")
_SCALE = {"万": 1e4, "亿": 1e8}
_ADJECTIVES = "大小多少高低长短快慢早晚"
_SMALLER = set("小少低短慢早")


@dataclass(frozen=True)
class Figure:
    value: float  # in `unit`, 万/亿 multiplied out
    unit: str  # the base unit ("平方公里", "人", "%", or "")
    shown: str  # as the source writes it: 2.7万平方公里


def figure_for(sentence: str, info: QuestionInfo) -> Figure | None:
    """The figure the sentence states for what the question asks about: the first one after the
    asked attribute word (面积, 人口…) if the sentence names it, else the first one with a unit."""
    text = normalise(sentence)
    words = [w for w in (*info.focus, *info.attribute) if w in text]
    start = min((text.index(w) + len(w) for w in words), default=0)
    for m in _FIGURE.finditer(text, start):
        if m.group(2) or m.group(3):
            return _figure(m)
    for m in _FIGURE.finditer(text):
        if m.group(2) or m.group(3):
            return _figure(m)
    return None


def _figure(m: re.Match[str]) -> Figure:
    unit = m.group(3) or ""
    scale = _SCALE.get(m.group(2) or "", 1.0)
    if unit.startswith("万") and unit not in ("万",):  # 万人, 万元: the 万 is a scale too
        scale, unit = scale * 1e4, unit[1:]
    if unit == "亿元":
        scale, unit = scale * 1e8, "元"
    return Figure(float(m.group(1)) * scale, unit, m.group(0).strip())


def compare_figures(sides: list[tuple[str, Figure]], info: QuestionInfo, lang: str) -> str | None:
    """`南京的面积更大(2.7万平方公里 > 2.64万平方公里)。`: which side the question's adjective
    favours, from figures in the same unit; None when they cannot be compared."""
    if len({f.unit for _, f in sides}) != 1:
        return None
    adjective = next((ch for ch in info.text if ch in _ADJECTIVES), "大")
    ordered = sorted(sides, key=lambda s: s[1].value, reverse=adjective not in _SMALLER)
    (winner, a), (other, b) = ordered[0], ordered[1]
    attribute = (info.focus or info.attribute or ("",))[0]
    if a.value == b.value:
        return t("compare_same", lang, a=winner, b=other, attribute=attribute, fa=a.shown, fb=b.shown)
    op = "<" if adjective in _SMALLER else ">"
    return t("compare_more", lang, winner=winner, attribute=attribute, adjective=adjective,
             en_adjective=t("adj." + adjective, "en"), fa=a.shown, fb=b.shown, op=op)
