"""Hand-made passages from the sample corpus as retrieval hits, for tests of answering."""

from __future__ import annotations

from youju.chat.extractive import ExtractiveComposer
from youju.chat.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from youju.chat.model import AnswerModel, Linear
from youju.config import AnswerSettings
from youju.embeddings.hashing import HashingEmbedder
from youju.records import Chunk, Hit

NO_THRESHOLDS = AnswerSettings(min_answerable=0.0)  # answer whatever the passages say

# A hand-set answer model for tests of how answers are put together: the fitted one learned its
# weights on the real model's cosines, which the hashing embedder does not reproduce, and a refit
# must not break a test of trimming or citing. (The fitted model is judged by the eval sets.)
HAND_MODEL = AnswerModel(
    Linear.neutral(CANDIDATE_FEATURES, {"word": 3.0, "focus": 1.5, "type_match": 2.0, "type_miss": -2.0, "cos": 1.0,
                                        "entity": 1.0, "attribute_missing": -2.0, "dropped": -1.0}),
    Linear.neutral(QUESTION_FEATURES, {}, bias=0.0), 0.5)


def composer(lang: str = "zh", settings: AnswerSettings = NO_THRESHOLDS) -> ExtractiveComposer:
    """The extractive composer on the hashing embedder and the hand-set model."""
    return ExtractiveComposer(HashingEmbedder(), lang, settings, model=HAND_MODEL)

CHENGDU = ("典型做法之3:成都都市圈同城化开局起势", "(二)构建1小时快捷通勤圈")
PASSAGES = [
    ("000.txt", CHENGDU, "(二)构建1小时快捷通勤圈。“两环三射”轨道交通体系加快建设。成都至德眉资动车用时缩短至23分钟,"
                         "都市圈日开行动车104对、日均客流量2.4万人次。成都天府国际机场正式投运。"),
    ("001.txt", ("典型做法之1:广东省深圳市将大部分义务教育学位提供给随迁子女",),
     "深圳市国土面积平方公里,年,城区常住人口万人,地区生产总值2.8万亿元,一般公共预算收入亿元。"),
    ("000.txt", ("典型做法之1:南京都市圈同城化蔚然成势",),
     "南京都市圈是我国最早启动建设的跨省都市圈。规划明确都市圈主要范围包括南京市,镇江市市区、句容市,扬州市市区、仪征市,"
     "淮安市盱眙县,芜湖市市区,马鞍山市市区、和县、当涂县,滁州市市区、来安县、天长市,宣城市市区,面积2.7万平方公里。"),
]


def hits(order: list[int] | None = None) -> list[Hit]:
    hits = []
    for rank, i in enumerate(order or range(len(PASSAGES)), start=1):
        source, path, text = PASSAGES[i]
        chunk = Chunk(f"c{i}", f"d{i}", text, 100, 100 + len(text), path)
        hits.append(Hit(chunk, 1.0 / rank, rank, {"dense": 0.9}, source, "标题"))
    return hits
