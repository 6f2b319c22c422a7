"""Text and number normalisation shared by the answer verifier and the evaluation metrics:
full-width forms, thousands separators, Chinese numerals (八个 = 8个) and 万/亿 amounts, so that
`2.7万`, `27,000` and `二万七千` compare equal."""

from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_NUM = "零〇一二两三四五六七八九十百千万亿"
# A Chinese numeral counts as a number only with a measure word after it (三年, 八个), not in 一体化.
_MEASURE = "个個項项条次年月日天家所名人位倍岁歲批期座台辆列对户件元亿万%种類类份级周秒米吨亩届场"
_NUMBER = re.compile(rf"(\d+(?:\.\d+)?)\s*(?:余|多)?\s*([万亿])?\s*(%)?|([{_CN_NUM}]+)(?=[多余]?(?:[{_MEASURE}]|小时|分钟|分之))")


DATE = re.compile(  # a year, a month and day, a period: what answers 何时
    r"(公元前?|民[国國]|前)\s*\d{1,4}\s*年|\d{3,4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月|"
    r"(?<![一二三四五六七八九十个几])[一二三四五六七八九十]{1,2}月(?!份?[内间])|"  # 七月十一, 十二月; not 三月内
    r"[一二三四五六七八九十〇零]{2,4}年|(19|20)\d\d[-/.]\d{1,2}|世纪|年代|春季|秋季|年初|年底|年末|年间|元年|时期|初期|末期")


_TRADITIONAL = str.maketrans("萬億兩幾", "万亿两几")  # the numeral characters traditional Chinese writes differently


def normalise(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to half-width), traditional numeral
    characters in their simplified form, and no thousands separators: ２．７ -> 2.7,
    1,600 -> 1600, 3萬 -> 3万."""
    text = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def chinese_to_int(numeral: str) -> int | None:
    """一百零五 -> 105, 二十 -> 20, 十三 -> 13, 二〇二一 -> 2021, 三万五千 -> 35000."""
    if not numeral or any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch not in _CN_BIG for ch in numeral):
        return None
    if all(ch in _CN_DIGITS for ch in numeral) and len(numeral) > 1:  # digit by digit: 二〇二一
        return int("".join(str(_CN_DIGITS[ch]) for ch in numeral))
    if all(ch in _CN_BIG for ch in numeral):  # 亿元, 万人: a unit, not a number
        return None
    total, section, digit = 0, 0, None
    for ch in numeral:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:  # 十三五: two digits in a row is not a numeral
                return None
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            section += digit or 0
            total += (section or 1) * _CN_BIG[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def numbers(text: str) -> list[str]:
    """Canonical numbers in the text: 2.7万 -> 27000, 59% -> 59%, 八个 -> 8, 1,600 -> 1600."""
    out = []
    for m in _NUMBER.finditer(normalise(text)):
        if m.group(4):
            whole = chinese_to_int(m.group(4))
            if whole is not None:
                out.append(_fmt(whole))
            continue
        out.append(_fmt(_amount(m)) + (m.group(3) or ""))
    return out


def _amount(m: re.Match[str]) -> float:
    """The digits of a match times its 万/亿."""
    return float(m.group(1)) * (_CN_BIG[m.group(2)] if m.group(2) else 1)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def canonical(text: str) -> str:
    """Text with every number written canonically, for containment checks: 八个 -> 8个."""
    def repl(m: re.Match[str]) -> str:
        if m.group(4):
            whole = chinese_to_int(m.group(4))
            return m.group(0) if whole is None else _fmt(whole)
        return _fmt(_amount(m)) + (m.group(3) or "")

    return _NUMBER.sub(repl, normalise(text)).replace(" ", "")
