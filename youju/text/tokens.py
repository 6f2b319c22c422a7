"""Keyword tokens for Chinese (and English) text: jieba search-mode cuts with a policy-domain
vocabulary, stop words and punctuation removed, ASCII lower-cased; plus character bigrams of
the CJK runs, which survive segmentation differences and typos in neighbouring characters.
Traditional characters are cut as their simplified forms (jieba's dictionary is simplified) and
given back as they were written."""

from __future__ import annotations

import re
from functools import lru_cache

from youju.text.script import to_simplified
from youju.text.segmenter import Segmenter

TOKENIZER_VERSION = 3  # bump when tokens change: stored keyword indexes are rebuilt

# Words jieba splits badly in policy texts about regions and urbanisation; the regions are
# tagged as place names (ns), which question analysis treats as entities.
DOMAIN_PLACES = """成德眉资 德眉资 川渝 成渝 长三角 珠三角 粤港澳大湾区 大湾区 北部湾 长江中游 关中平原 杭湖嘉绍
湘江新区 西咸新区 天府新区""".split()
DOMAIN_WORDS = """都市圈 城市圈 城市群 经济圈 同城化 一体化 城镇化 新型城镇化 国土面积 常住人口 城区常住人口 户籍人口 地区生产总值 一般公共预算收入
随迁子女 农业转移人口 住房公积金 公积金 居住证 义务教育 公租房 公共租赁住房 跨市通办 一网通办 一卡通 市域铁路
城际铁路 通勤圈 生活圈 产业链 创新链 供应链 产业带 产业园 示范区 先行区 试验区 自贸区 联席会议 专委会 专题工作组
典型做法 同城化发展 基础设施 互联互通 公共服务 共建共享 生态环境 联防联控 营商环境 中欧班列 陆海新通道""".split()

# Looked up in simplified form (words() folds each word), so 與 and 為 are 与 and 为.
STOP_WORDS = frozenset("""的 了 和 与 及 以及 或 等 是 在 对 为 于 把 被 将 从 向 由 也 都 就 而 并 其 之 这 那 该 此 各 每 有 个 上 中 下
以 所 到 让 给 又 还 再 已 已经 着 过 呢 吗 吧 啊 呀 么 嘛 一 不 没 没有 我 我们 你 你们 他 她 它 他们 要 会 能 可 可以 应 应该 很 的话
a an the of to in on at by for from with and or is are was were be been being it its this that these those as
do does did has have had will would can could should what which who whom whose when where why how
""".split())
# Words that only ask ("how many", "which"): never useful as keywords.
QUESTION_WORDS = frozenset("""多少 多大 多久 多长 多高 多远 多快 多重 几 几个 几项 几条 几次 几年 哪些 哪个 哪里 哪儿 哪 哪几 哪几个
哪几条 哪几项 哪几种 哪一 哪一个 哪一年 哪年 哪天 哪位 哪一位 多长时间 什么 什么时候 什么地方 怎么 怎样 谁 何时 何地 何处 何人
如何 为何 为什么 是否 是不是 请问 请 问 一下 分别 各是 各 有没有 吗 呢 情况 具体
多少 幾 幾個 哪裡 哪邊 哪一個 哪一門 哪一種 甚麼 什麼 怎樣 為何 為什麼 誰 何時 是甚麼 是什麼 甚么 是甚么""".split())
_QUESTION_PHRASE = re.compile("|".join(sorted(map(re.escape, QUESTION_WORDS - {"问", "请", "各", "哪", "几", "幾"}),
                                              key=len, reverse=True)))
# 哪/几 with a measure word (哪所, 第几位, 幾屆) and 何 with a noun it asks about (何年, 何种, 何用途):
# jieba cuts them as one word that no passage holds; 哪怕 and 几乎 are not asking
_ASKING = re.compile(r"[哪几幾]一?[个個位家国國部本所条條项項次种種类類年天月日届屆名座张張件场場队隊款层層股只首台臺门門"
                     r"批期代段样樣句份架辆輛艘枚颗顆棵头頭匹篇章集季]|何(?=[年种種类類意用故])[年种種类類意故]?")

_PUNCT = re.compile(r"^[\W_]+$")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


_segmenter = Segmenter([(w, 2_000_000, "n") for w in DOMAIN_WORDS] + [(w, 2_000_000, "ns") for w in DOMAIN_PLACES])


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech) pairs from jieba's tagger (ns: place, nt: organisation, ...)."""
    return list(_tagged(text))


@lru_cache(maxsize=4096)  # answering tags the same questions and corpus sentences again and again
def _tagged(text: str) -> tuple[tuple[str, str], ...]:
    folded = to_simplified(text)
    pairs = _segmenter.tag(folded)
    if folded == text:
        return tuple(pairs)
    out, at = [], 0
    for word, flag in pairs:  # the tagger's words cover the text in order
        out.append((text[at:at + len(word)], flag))
        at += len(word)
    return tuple(out if at == len(text) else _segmenter.tag(text))


def _cut(text: str, search_mode: bool) -> list[str]:
    """jieba's cuts of the text as folded to simplified, as slices of the text itself."""
    folded = to_simplified(text)
    if folded == text:
        return list(_segmenter.cut_for_search(text) if search_mode else _segmenter.cut(text))
    return [text[a:b] for _, a, b in _segmenter.tokenize(folded, search_mode)]


def words(text: str, *, drop_question_words: bool = False, search_mode: bool = True) -> list[str]:
    """Word tokens. Search mode (for indexing) also yields the parts of long words; precise mode
    (for queries) does not, so a long word is not counted three times against one rare one."""
    out = []
    for w in _cut(text, search_mode):
        w = w.strip().lower()
        key = to_simplified(w)
        if not w or _PUNCT.match(w) or key in STOP_WORDS:
            continue
        if drop_question_words and key in QUESTION_WORDS:
            continue
        out.append(w)
    return out


def bigrams(text: str) -> list[str]:
    """Overlapping character pairs inside each run of CJK characters (single characters
    for runs of one)."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1)) if len(run) > 1 else out.append(run)
    return out


def strip_question_words(text: str) -> str:
    """The question with its asking words (多大, 哪些, 何时, 甚麼…) blanked out, so they make no
    words or bigrams of their own (jieba would cut 有多大 into 有/多/大)."""
    return _ASKING.sub(" ", _QUESTION_PHRASE.sub(" ", text))


def content_words(text: str) -> list[str]:
    """Words of a question that say what it is about: no stop words, no question words."""
    return words(strip_question_words(text), drop_question_words=True)
