"""The ground floor: text helpers every stage shares. Sentences, jieba words and CJK bigrams,
numbers (Chinese numerals, 万/亿 amounts) and normalisation."""
