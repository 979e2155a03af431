"""The HTML report of a consistency check: one self-contained file (inline CSS, SVG and script; nothing is
fetched when it is opened), bilingual, with headline figures, charts, a searchable table of the people to
review and, for each of them, the case and the reasoning trace behind the recommendation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from html import escape

from accountrules.batch.check import ConsistencyReport, Group, OmittedLeader, PersonCheck, Step, Tally
from accountrules.batch.summary import SUMMARY_ROWS, VERDICT_LABELS, forms_label, key_label, slot_label
from accountrules.vocabulary import form_label, label, measure_label

#: People listed with their reasoning trace; the JSON output has them all.
MAX_PEOPLE = 2000

COLOURS = {
    "within": "#3a7d44",
    "too_lenient": "#d08c12",
    "too_harsh": "#b3261e",
    "omitted": "#6a4c93",
    "undetermined": "#7d7d7d",
}

STYLE = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
  "Noto Sans", "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin-top: 16px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--soft); }
.card .value { font-size: 24px; font-weight: 700; }
.card .name { font-size: 13px; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg text { font-family: inherit; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); position: sticky; top: 0; }
td.num, th.num { text-align: right; }
.verdict { display: inline-block; padding: 0 6px; border-radius: 4px; color: #fff; font-size: 13px;
  white-space: nowrap; }
.tools { display: flex; gap: 10px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
input[type=search] { font: inherit; padding: 5px 8px; min-width: 320px; border: 1px solid var(--line);
  border-radius: 6px; }
select { font: inherit; padding: 4px; }
.case { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; margin: 12px 0; }
.case:target { outline: 3px solid #0969da; }
ol.trace { padding-left: 22px; margin: 6px 0; }
ol.trace li { margin: 3px 0; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; background: var(--soft); padding: 0 3px; }
.legend span { margin-right: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px; vertical-align: -1px; }
footer { margin: 40px auto 30px; color: var(--muted); font-size: 13px; }
"""

SCRIPT = """
(function () {
  var search = document.getElementById("search");
  var verdict = document.getElementById("verdict-filter");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#people tbody tr"));
  var count = document.getElementById("shown");
  function apply() {
    var words = search.value.trim().toLowerCase().split(/\\s+/).filter(Boolean);
    var only = verdict.value;
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-text");
      var ok = (!only || row.getAttribute("data-verdict") === only) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = String(shown);
  }
  search.addEventListener("input", apply);
  verdict.addEventListener("change", apply);
  apply();
})();
"""


def verdict_badge(verdict: str) -> str:
    zh, en = VERDICT_LABELS[verdict]
    return f'<span class="verdict" style="background:{COLOURS[verdict]}">{escape(zh)} {escape(en)}</span>'


def report_html(report: ConsistencyReport, source: str = "") -> str:
    """The report as one HTML document."""
    anchors: dict[str, str] = {}
    people = _people_rows(report)
    for case_id, *_ in people[:MAX_PEOPLE]:
        anchors.setdefault(case_id, f"case-{len(anchors) + 1}")
    s = report.summary
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>一致性检查报告 Consistency report</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>问责一致性检查报告 <span class='muted'>Accountability consistency report</span></h1>",
        f"<div class='muted'>档案 Archive: {escape(source or '—')} · 规则包 Rule pack: "
        f"{escape(report.rulepack.name)} {escape(report.rulepack.version)} "
        f"(<code>{escape(report.rulepack.digest[:19])}…</code>)</div>",
        _cards(report),
        "</header>",
        "<main>",
        "<h2>图表 Charts</h2>",
        '<div class="charts">',
        _figure("按年度的结论 Verdicts by year of decision", _verdicts_by_year(report.by_year), _legend()),
        _figure("偏离幅度分布 Deviation from the recommended range (forms)", _deviation_chart(report.deviations)),
        _figure("同案不同处理最突出的案件组 Most inconsistent groups of like cases", _groups_chart(report.groups)),
        "</div>",
        _tally_table("按单位层级 By unit level", report.by_unit_level),
        _tally_table("按违纪类型 By kind of violation", report.by_violation_kind),
        _people_table(people, anchors, report),
        _groups_section(report.groups),
        _cases_section(report, anchors),
        _bad_records(report),
        "</main>",
        "<footer>本报告由规则给出建议性结论，处理决定由有权机关依规依纪作出。 "
        "The report compares records with what the rules recommend; the competent bodies decide. "
        f"一致性得分 = 在幅度内 ÷ (在幅度内 + 偏轻 + 偏重 + 遗漏)；score = within / (within + too lenient + too harsh "
        f"+ omitted) = {s.score:.1f}%.</footer>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------------------------


def _cards(report: ConsistencyReport) -> str:
    values = report.summary.model_dump()
    cards = []
    for key, zh, en in SUMMARY_ROWS:
        value = values[key]
        shown = f"{value:.1f}%" if key == "score" else f"{value:,}"
        cards.append(
            f'<div class="card" data-key="{key}"><div class="value">{shown}</div>'
            f'<div class="name">{escape(zh)}<br>{escape(en)}</div></div>'
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _figure(title: str, svg: str, extra: str = "") -> str:
    return f"<figure><figcaption>{escape(title)}</figcaption>{extra}{svg}</figure>"


def _legend() -> str:
    items = [
        f'<span><i style="background:{COLOURS[key]}"></i>{escape(VERDICT_LABELS[key][0])} '
        f"{escape(VERDICT_LABELS[key][1])}</span>"
        for key in ("within", "too_lenient", "too_harsh", "omitted")
    ]
    return '<div class="legend">' + "".join(items) + "</div>"


def _empty_chart(message: str) -> str:
    return (
        '<svg class="chart" viewBox="0 0 420 60" width="100%" role="img">'
        f'<text x="210" y="34" text-anchor="middle" fill="#59636e" font-size="14">{escape(message)}</text></svg>'
    )


def _verdicts_by_year(tallies: Sequence[Tally]) -> str:
    """Stacked bars: within, too lenient, too harsh and omitted per year."""
    if not tallies:
        return _empty_chart("无数据 no data")
    keys = ("within", "too_lenient", "too_harsh", "omitted")
    width, height, left, bottom, top = 420, 240, 44, 28, 10
    peak = max(max(sum(getattr(t, k) for k in keys) for t in tallies), 1)
    slot = (width - left - 8) / len(tallies)
    bar = max(min(slot * 0.7, 46), 4)
    plot = height - bottom - top
    out = [f'<svg class="chart" id="chart-years" viewBox="0 0 {width} {height}" width="100%" role="img">']
    out.extend(_y_axis(peak, left, top, plot, width))
    for i, tally in enumerate(tallies):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot
        for key in keys:
            n = getattr(tally, key)
            if not n:
                continue
            h = plot * n / peak
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS[key]}">'
                f"<title>{escape(tally.key)} {escape(VERDICT_LABELS[key][0])} {escape(VERDICT_LABELS[key][1])}: "
                f"{n:,}</title></rect>"
            )
        out.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="11">'
            f"{escape(tally.key)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _y_axis(peak: int, left: int, top: int, plot: float, width: int) -> list[str]:
    out = []
    for i in range(5):
        value = peak * i / 4
        y = top + plot - plot * i / 4
        out.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#59636e">{value:,.0f}</text>'
        )
    return out


def _deviation_chart(deviations: dict[str, int]) -> str:
    """Recorded people by how many forms they lie outside the band (0: within), −4 … +4."""
    if not deviations:
        return _empty_chart("无记录 no recorded people")
    width, height, left, bottom, top = 420, 240, 44, 40, 10
    steps = list(range(-4, 5))
    counts = {d: deviations.get(str(d), 0) for d in steps}
    peak = max(max(counts.values()), 1)
    slot = (width - left - 8) / len(steps)
    bar = slot * 0.72
    plot = height - bottom - top
    out = [f'<svg class="chart" id="chart-deviation" viewBox="0 0 {width} {height}" width="100%" role="img">']
    out.extend(_y_axis(peak, left, top, plot, width))
    for i, d in enumerate(steps):
        n = counts[d]
        x = left + i * slot + (slot - bar) / 2
        h = plot * n / peak
        colour = COLOURS["within"] if d == 0 else COLOURS["too_lenient"] if d < 0 else COLOURS["too_harsh"]
        if n:
            out.append(
                f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{d:+d}: {n:,}</title></rect>"
                f'<text x="{x + bar / 2:.1f}" y="{top + plot - h - 3:.1f}" text-anchor="middle" font-size="10">'
                f"{n:,}</text>"
            )
        out.append(f'<text x="{x + bar / 2:.1f}" y="{height - 24}" text-anchor="middle" font-size="11">{d:+d}</text>')
    out.append(
        f'<text x="{left}" y="{height - 6}" font-size="11" fill="#59636e">← 偏轻 too lenient</text>'
        f'<text x="{width - 8}" y="{height - 6}" text-anchor="end" font-size="11" fill="#59636e">'
        "偏重 too harsh →</text></svg>"
    )
    return "".join(out)


def _groups_chart(groups: Sequence[Group]) -> str:
    """The groups with the largest spread of recorded forms, as horizontal bars."""
    shown = list(groups[:10])
    if not shown:
        return _empty_chart("同类案件处理一致 like cases were treated alike")
    width, row, left, top = 420, 22, 150, 8
    height = top + row * len(shown) + 24
    out = [f'<svg class="chart" id="chart-groups" viewBox="0 0 {width} {height}" width="100%" role="img">']
    for i, group in enumerate(shown):
        y = top + i * row
        w = (width - left - 96) * group.spread / 4  # room for the label after the longest bar
        out.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">'
            f"{escape(group.signature[:10])} · {group.cases:,} 案</text>"
            f'<rect x="{left}" y="{y + 3}" width="{max(w, 2):.1f}" height="{row - 8}" fill="{COLOURS["too_harsh"]}">'
            f"<title>{escape(_group_text(group))}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 14}" font-size="11">差 {group.spread} 形态 forms</text>'
        )
    out.append(
        f'<text x="{left}" y="{height - 6}" font-size="11" fill="#59636e">'
        "原处理形态最大差距 largest spread of recorded forms</text></svg>"
    )
    return "".join(out)


def _group_text(group: Group) -> str:
    return "; ".join(f"{slot_label(s)}: {forms_label(s.forms)}" for s in group.slots)


def _tally_table(title: str, tallies: Sequence[Tally]) -> str:
    rows = []
    for t in tallies:
        name = key_label(t.key)
        cells = (t.cases, t.people, t.within, t.too_lenient, t.too_harsh, t.omitted)
        rows.append(f"<tr><td>{escape(name)}</td>" + "".join(f'<td class="num">{n:,}</td>' for n in cells) + "</tr>")
    head = (
        "<tr><th></th><th class='num'>案件 Cases</th><th class='num'>人员 People</th>"
        "<th class='num'>在幅度内 Within</th><th class='num'>偏轻 Lenient</th><th class='num'>偏重 Harsh</th>"
        "<th class='num'>遗漏 Omitted</th></tr>"
    )
    return f"<h2>{escape(title)}</h2><table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


Row = tuple[str, str, str, list[str], str, str, str, str, list[str]]


def _people_rows(report: ConsistencyReport) -> list[Row]:
    """(case id, person, name, roles, verdict, recorded, recommended, deviation, rules) for every flagged
    person and omitted leader, by case."""
    rows: list[Row] = []
    for p in report.flagged:
        band = f" [{p.band[0]},{p.band[1]}]" if p.band else ""
        recorded = form_label(p.recorded_form) + _measure(p.recorded_measure)
        recommended = form_label(p.recommended_form) + band + _measure(p.recommended_measure)
        rows.append(
            (p.case_id, p.person, p.name, p.roles, p.verdict, recorded, recommended, f"{p.deviation:+d}", p.rules)
        )
    for o in report.omitted_leaders:
        recommended = form_label(o.recommended_form) + _measure(o.recommended_measure)
        rows.append((o.case_id, o.person, o.name, o.roles, "omitted", "未记录 not recorded", recommended, "", o.rules))
    order = {case_id: i for i, case_id in enumerate(dict.fromkeys(r[0] for r in rows))}
    rows.sort(key=lambda r: (order[r[0]], r[1]))
    return rows


def _measure(measure: str | None) -> str:
    """`` · measure`` beside a form, except for form 0 (whose one measure the form's label already says)."""
    return f" · {measure_label(measure)}" if measure and measure != "none" else ""


def _people_table(rows: list[Row], anchors: dict[str, str], report: ConsistencyReport) -> str:
    shown = rows[:MAX_PEOPLE]
    body = []
    for case_id, person, name, roles, verdict, recorded, recommended, off, rules in shown:
        anchor = anchors[case_id]
        role_text = "、".join(label(r).split(" ")[0] for r in roles)
        text = " ".join([case_id, person, name, role_text, *roles, verdict, *VERDICT_LABELS[verdict], *rules]).lower()
        body.append(
            f'<tr data-verdict="{verdict}" data-text="{escape(text)}">'
            f'<td><a href="#{anchor}">{escape(case_id)}</a></td>'
            f"<td>{escape(name)} <code>{escape(person)}</code></td>"
            f"<td>{escape(role_text)}</td>"
            f"<td>{verdict_badge(verdict)}</td>"
            f"<td>{escape(recorded)}</td><td>{escape(recommended)}</td>"
            f'<td class="num">{escape(off)}</td>'
            f"<td>{' '.join(f'<code>{escape(r)}</code>' for r in rules)}</td></tr>"
        )
    note = ""
    if len(rows) > len(shown):
        note = (
            f"<p class='muted'>列出前 {len(shown):,} 人，共 {len(rows):,} 人；全部见 --json。 "
            f"The first {len(shown):,} of {len(rows):,} are listed; --json has all.</p>"
        )
    options = "".join(
        f'<option value="{key}">{escape(zh)} {escape(en)}</option>' for key, (zh, en) in VERDICT_LABELS.items()
    )
    return (
        "<h2>需复核的人员 People to review</h2>"
        '<div class="tools"><input type="search" id="search" '
        'placeholder="搜索 案件、人员、角色、规则 Search case, person, role, rule" aria-label="search">'
        f'<select id="verdict-filter" aria-label="verdict"><option value="">全部 all</option>{options}</select>'
        f'<span class="muted">显示 shown: <b id="shown">{len(shown)}</b> / {len(shown)}</span></div>'
        '<table id="people"><thead><tr><th>案件 Case</th><th>人员 Person</th><th>角色 Roles</th>'
        "<th>结论 Verdict</th><th>原处理 Recorded</th><th>建议 Recommended [range]</th>"
        "<th class='num'>偏差 Deviation</th><th>规则 Rules</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}"
        + ("" if rows else "<p>没有需复核的人员。 Nobody to review.</p>")
        + ("" if report.summary.cases_with_record else "<p>档案中没有原处理结果。 No case has a recorded outcome.</p>")
    )


def _groups_section(groups: Sequence[Group]) -> str:
    if not groups:
        return "<h2>同案不同处理 Like cases treated unlike</h2><p>没有。 None.</p>"
    items = []
    for group in groups[:50]:
        slots = "".join(
            f"<li>{escape(slot_label(s))}: {escape(forms_label(s.forms))} — "
            + "; ".join(f"{form} 形态: {escape(', '.join(ids))}" for form, ids in s.examples.items())
            + "</li>"
            for s in group.slots
        )
        items.append(
            f"<div class='case'><h3><code>{escape(group.signature)}</code> · {group.cases:,} 件同类案件 like cases · "
            f"差距 spread {group.spread}</h3><ul>{slots}</ul></div>"
        )
    return "<h2>同案不同处理 Like cases treated unlike</h2>" + "".join(items)


def _cases_section(report: ConsistencyReport, anchors: dict[str, str]) -> str:
    """Each case with someone to review: who, and the reasoning trace behind the recommendation."""
    by_case: dict[str, list[PersonCheck | OmittedLeader]] = defaultdict(list)
    for p in report.flagged:
        by_case[p.case_id].append(p)
    for o in report.omitted_leaders:
        by_case[o.case_id].append(o)
    out = ["<h2>案件与推理过程 Cases and reasoning traces</h2>"]
    for case_id, anchor in anchors.items():
        people = by_case.get(case_id, [])
        blocks = []
        for item in people:
            if isinstance(item, PersonCheck):
                head = (
                    f"{verdict_badge(item.verdict)} {escape(item.name)} <code>{escape(item.person)}</code>: "
                    f"原处理 recorded {escape(form_label(item.recorded_form))}; 建议 recommended "
                    f"{escape(form_label(item.recommended_form))}"
                    + (f" [{item.band[0]},{item.band[1]}]" if item.band else "")
                    + f" · {escape(label(item.responsibility))}"
                )
            else:
                head = (
                    f"{verdict_badge('omitted')} {escape(item.name)} <code>{escape(item.person)}</code>: "
                    f"建议 recommended {escape(form_label(item.recommended_form))} · "
                    f"{escape(label(item.responsibility))}"
                )
            blocks.append(f"<details open><summary>{head}</summary>{_trace(item.trace)}</details>")
        out.append(f'<section class="case" id="{anchor}"><h3>{escape(case_id)}</h3>{"".join(blocks)}</section>')
    return "".join(out)


def _trace(steps: Iterable[Step]) -> str:
    items = []
    for step in steps:
        facts = ", ".join(f"{k}={_fact(v)}" for k, v in step.facts.items())
        where = f" · {escape(step.violation)}" if step.violation else ""
        items.append(
            f"<li><code>{escape(step.rule)}</code> {escape(step.title)}{where} → <b>{escape(step.effect)}</b>"
            f" <span class='muted'>[{escape(', '.join(step.cites))}]"
            + (f" {escape(facts)}" if facts else "")
            + "</span></li>"
        )
    if not items:
        return "<p class='muted'>没有规则涉及此人。 No rule concerns this person.</p>"
    return f"<ol class='trace'>{''.join(items)}</ol>"


def _fact(value: object) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _bad_records(report: ConsistencyReport) -> str:
    if not report.bad_records:
        return ""
    rows = "".join(
        f"<tr><td>{'line' if b.line is not None else 'index'} {b.line if b.line is not None else b.index}</td>"
        f"<td>{escape(b.case_id or '')}</td><td>{escape(b.error)}</td></tr>"
        for b in report.bad_records[:500]
    )
    return (
        "<h2>错误记录 Bad records</h2><table><thead><tr><th>位置 Where</th><th>案件 Case</th>"
        f"<th>错误 Error</th></tr></thead><tbody>{rows}</tbody></table>"
    )
