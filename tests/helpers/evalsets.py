"""A small evaluation set over the sample corpus (one figure, one list with markup in the
question, one unanswerable), used by the evaluation tests and the report's browser test."""

from __future__ import annotations

SET = [
    {"id": "a1", "question": "成都至德眉资的动车要多久?", "answer": "23分钟。", "key_facts": ["23分钟"], "type": "number",
     "evidence": [{"doc": "000_4fc3eb35a66a7ee3.txt", "text": "成都至德眉资动车用时缩短至23分钟"}]},
    {"id": "a2", "question": "南京都市圈包括哪些<script>地方</script>?", "key_facts": ["镇江市"], "type": "list",
     "evidence": [{"doc": "000_4fc3eb35a66a7ee3.txt", "text": "规划明确都市圈主要范围包括南京市"}]},
    {"id": "u1", "question": "上海都市圈的面积有多大?", "type": "unanswerable"},
]
