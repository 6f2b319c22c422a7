"""Write the three documents of the `newdocs` evaluation set (data/eval/newdocs.jsonl): policy
texts made for the purpose, never used for fitting, in the three formats a user brings besides
plain text: a .docx with a table, a .pdf, an .html page. Their wording is fixed here, so the
files can be rebuilt byte for byte (.docx and .pdf up to their creation timestamps):

    .venv/bin/python scripts/make_eval_docs.py      # -> data/eval/newdocs/

They hold figures (one left blank, as converted documents often do), dates, a post, lists in
the three usual forms (`(一)(二)(三)`, `一是…二是…`, `、`), a table row that is the answer, a
sentence where two subjects share one sentence with their own figures, and two areas to compare.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "eval" / "newdocs"

DOCX = [
    ("title", "青禾市数字经济高质量发展三年行动方案(2024—2026年)"),
    ("p", "为加快建设数字青禾,推动数字经济和实体经济深度融合,制定本行动方案。"),
    ("h1", "一、总体目标"),
    ("p", "到2026年,全市数字经济核心产业增加值突破900亿元,占地区生产总值比重达到12%。"
          "建成5G基站1.8万个,重点产业园区千兆光网覆盖率达到100%。"
          "培育数字经济规模以上企业600家,其中营业收入超百亿元的企业3家。"),
    ("p", "2023年,全市数字经济核心产业增加值亿元,同比增长9.5%。"),
    ("h1", "二、重点任务"),
    ("p", "(一)壮大数字产业。一是做强电子信息制造业,建设青禾光电产业园;二是发展软件和信息服务业,"
          "软件业务收入年均增长15%;三是培育人工智能产业,建设算力中心2个。"),
    ("p", "(二)推进产业数字化。推动1000家规模以上工业企业实施数字化改造,建设智能工厂30家、数字化车间120个。"),
    ("p", "(三)建设数字政府。“青禾通”平台接入政务服务事项1200项,实现企业和群众办事“一网通办”。"),
    ("p", "(四)夯实数字基础设施。新建数据中心机架5000个,推动城市公共区域免费无线网络全覆盖。"),
    ("h1", "三、资金保障"),
    ("p", "市财政设立数字经济发展专项资金,每年安排不少于5亿元,重点支持企业数字化改造和数字产业项目。"),
    ("p", "市级政府投资基金情况如下表。"),
    ("table", [["基金名称", "规模", "管理单位"], ["数字产业引导基金", "10亿元", "青禾市产业投资集团"],
               ["智能制造专项基金", "6亿元", "市工业和信息化局"], ["天使投资基金", "2亿元", "青禾科创投资公司"]]),
    ("p", "全市各类政府投资基金总规模达到480亿元,重点投向新兴产业和重大基础设施。"),
    ("h1", "四、组织实施"),
    ("p", "成立青禾市数字经济发展领导小组,由市长任组长,分管副市长任副组长,领导小组办公室设在市发展改革委。"
          "领导小组每季度召开一次工作会议,研究解决重大问题。"),
    ("p", "本方案自2024年3月1日起施行。"),
]

PDF = """白鹭湾新区高层次人才安居办法
第一条 为吸引高层次人才到白鹭湾新区创新创业,制定本办法。
第二条 本办法适用于2024年1月1日以后与新区企业签订劳动合同并全职工作的人才。新区现有各类人才万人。
第三条 安居补贴标准:对博士人才给予60万元安居补贴,对硕士人才给予20万元安居补贴,对本科人才给予5万元安居补贴。
第四条 安居补贴分三年发放,每年发放总额的三分之一。
第五条 申请安居补贴应当同时符合下列条件:(一)与新区企业签订3年以上劳动合同;(二)在新区连续缴纳社会保险满6个月;(三)本人及配偶在新区无自有住房。
第六条 新区人才服务中心负责受理申请,受理时间为每年3月和9月。
第七条 弄虚作假骗取补贴的,追回已发放的补贴,5年内不得再次申请。
第八条 本办法由白鹭湾新区人才工作领导小组办公室负责解释,自2024年1月1日起施行,有效期5年。"""

HTML = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>江澜都市圈交通一体化发展报告</title></head>
<body>
<nav><a href="/">首页</a> » <a href="/news">交通动态</a></nav>
<article>
<h1>江澜都市圈交通一体化发展报告</h1>
<p>江澜都市圈包括江澜市、临川市、石桥市、云阳市、枫林市、白水市、青溪市、南浦市、望海市九市,
面积3.1万平方公里,常住人口2600万人。与之相邻的北岸都市圈面积2.8万平方公里,常住人口2100万人。</p>
<p>2023年5月,九市在临川市召开交通一体化联席会议,达成五点协议:一是共建轨道上的都市圈;
二是推动公交一卡通互联互通;三是统一道路运输执法标准;四是共建综合交通信息平台;五是联合编制都市圈综合交通规划。</p>
<h2>(一)轨道交通</h2>
<p>江澜至临川城际铁路于2022年12月建成通车,全长86公里,设站8座,最快运行时间32分钟。都市圈日均开行城际列车146对。</p>
<h2>(二)公路交通</h2>
<p>江澜绕城高速公路全长210公里,九市之间全部实现高速公路直连。</p>
<h2>(三)公共交通</h2>
<p>开通跨市公交线路24条,日均客流量3.6万人次。</p>
<h2>(四)航空运输</h2>
<p>江澜国际机场2023年旅客吞吐量达到2850万人次,同比增长62%。</p>
<h2>(五)下一步工作</h2>
<p>到2027年,都市圈城际铁路运营里程达到600公里,实现中心城市与周边城市1小时通达。</p>
</article>
<footer>版权所有 江澜都市圈发展研究中心</footer>
</body></html>
"""


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    for kind, content in DOCX:
        if kind == "title":
            d.add_heading(content, level=0)
        elif kind == "h1":
            d.add_heading(content, level=1)
        elif kind == "table":
            table = d.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            d.add_paragraph(content)
    d.core_properties.created = d.core_properties.modified = datetime.datetime(2024, 3, 1)
    d.save(str(path))


def write_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    y = 800
    for i, line in enumerate(PDF.splitlines()):
        c.setFont("STSong-Light", 16 if i == 0 else 11)
        for part in [line[k:k + 38] for k in range(0, len(line), 38)]:  # wrap at the page width
            c.drawString(50, y, part)
            y -= 22
        y -= 6
    c.save()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_docx(OUT / "qinghe-digital-economy.docx")
    write_pdf(OUT / "bailuwan-talent-housing.pdf")
    (OUT / "jianglan-transport.html").write_text(HTML, encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
