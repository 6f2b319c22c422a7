from youju.chat.questions import analyse
from youju.retrieval.keywords import query_terms
from youju.text.tokens import content_words


def test_asking_words_with_a_measure_word_are_not_content_words() -> None:
    # jieba cuts 哪所, 第几位, 幾屆, 何年 as single words no passage holds; counted as missing
    # words they made answerable questions look unanswerable
    assert content_words("罗保铭本科毕业于哪所大学？") == ["罗保铭", "本科", "毕业", "本科毕业", "大学"]
    assert "几位" not in content_words("高英是高句丽第几位皇后？")
    assert content_words("他獲得過幾屆冠軍？") == ["獲得", "冠軍"]
    assert content_words("他何年出生？") == ["出生"]
    assert content_words("此物有何用途？") == ["此物", "用途"]
    assert "的话" not in content_words("误食黄蝉的话，有什么症状？")  # a conditional, no passage word
    assert "哪国" not in analyse("让-皮埃尔·巴利冈是哪国的政治家？").attribute
    assert "国的" not in query_terms("他是哪国的政治家？")[1]  # no bigram spans the asking word


def test_words_that_only_look_like_asking_are_kept() -> None:
    assert "几乎" in content_words("几乎所有城市都开通了地铁吗？")
    assert "哪怕" in content_words("哪怕下雨也要出行吗？")
