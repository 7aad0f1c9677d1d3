"""The index page of a run's briefs: one self-contained HTML file, filterable and sortable in the browser.

``<run>/index-<lang>.html`` lists every brief a batch made (:mod:`analysis.report.batch`)
with its area or unit, its headline figures and links to its HTML and PDF, and names the
briefs that failed with their reason. The headline figures are not recomputed: each is a
claim of the brief's own ``claims.csv`` (the first claim of the brief's summary that
matches :data:`PICKS`), shown with its text and marked with the brief and claim id, so
``analysis audit`` checks the index against the same records it checks the brief with.
Words come from :mod:`analysis.report.i18n`; style is the briefs' stylesheet, inlined with a
few rules of the page's own, and a short script (no library, no request) filters and sorts.
"""

from __future__ import annotations

import html
from pathlib import Path

from analysis.brief_source import STYLE
from analysis.report import sentences
from analysis.report.claims import brief_name
from analysis.report.claims import read as read_claims
from analysis.report.i18n import t
from analysis.report.results import RunResults

#: Headline figures per kind of brief: (column, its label, how to find the claim in the brief's summary).
PICKS = {
    "area": (
        ("units", "index_col_units", lambda c: c["table"] == "adoption_schedule" and c["rule"] == "count"
         and "adoption_month" not in c["row"]),
        ("adopted", "index_col_adopted", lambda c: c["table"] == "adoption_schedule" and c["rule"] == "count"
         and c["row"].endswith("&adoption_month!=")),
        ("effect", "index_col_effect", lambda c: c["table"] == "heterogeneity" and c["column"] == "estimate"),
    ),
    "unit": (
        ("adoption", "index_col_adoption", lambda c: c["table"] == "adoption_schedule"
         and c["column"] == "adoption_month"),
        ("ikm", "index_col_ikm", lambda c: c["table"] == "ikm_unit_quarter" and c["column"] == "ikm"),
    ),
}

PAGE_STYLE = """
.controls { display: flex; flex-wrap: wrap; gap: .6rem 1.2rem; align-items: end; margin: 1rem 0; }
.controls label { display: flex; flex-direction: column; font-size: .9rem; color: #4a5568; min-width: 0;
                  max-width: 100%; }
.controls input, .controls select { font: inherit; padding: .3rem .4rem; width: 100%; max-width: 100%;
                                    min-width: 0; box-sizing: border-box; }
#count { font-size: .9rem; color: #4a5568; }
table.index { display: table; width: 100%; }
table.index td.links { white-space: nowrap; }
table.index td.links a { margin-left: .5rem; }
table.index tr[hidden], [hidden] { display: none !important; }
@media (max-width: 40rem) {
  table.index, table.index tbody, table.index tr, table.index td { display: block; width: auto; }
  table.index thead { display: none; }
  table.index tr { border-bottom: 1px solid #d5dbe3; padding: .4rem 0; }
  table.index td { border: 0; text-align: left !important; padding: .1rem 0; }
  table.index td[data-label]::before { content: attr(data-label) ": "; color: #4a5568; }
  table.index td.links a:first-child { margin-left: 0; }
}
"""

SCRIPT = """
(function () {
  const body = document.querySelector('#briefs tbody');
  const rows = [...body.rows];
  const filter = document.getElementById('filter'), sort = document.getElementById('sort');
  const count = document.getElementById('count'), none = document.getElementById('none');
  const fold = s => s.normalize('NFKD').replace(/[\\u0300-\\u036f]/g, '').toLowerCase();
  function apply() {
    const q = fold(filter.value.trim());
    let shown = 0;
    for (const r of rows) { const hit = !q || fold(r.dataset.name).includes(q); r.hidden = !hit; shown += hit; }
    const key = sort.value;
    const value = r => { const v = parseFloat(r.dataset[key]); return isNaN(v) ? -Infinity : v; };
    rows.sort((a, b) => key === 'name' ? a.dataset.name.localeCompare(b.dataset.name)
                                       : value(b) - value(a) || a.dataset.name.localeCompare(b.dataset.name));
    rows.forEach(r => body.appendChild(r));
    count.textContent = count.dataset.template.replace('{shown}', shown).replace('{total}', rows.length);
    none.hidden = shown > 0;
  }
  filter.addEventListener('input', apply);
  sort.addEventListener('change', apply);
  apply();
})();
"""


def index_path(run_dir: str | Path, language: str) -> Path:
    return Path(run_dir) / f"index-{language}.html"


def _kind(job) -> str:
    return "unit" if job.unit_id else "area"


def _title(res: RunResults, job, language: str) -> str:
    if job.unit_id:
        schedule = res.table("adoption_schedule")
        return str(schedule.loc[schedule["unit_id"].astype(str) == job.unit_id, "unit_name"].iloc[0])
    from analysis.report.area_brief import area_words

    return area_words(res, job.area, language)


def _figures(outcome) -> dict[str, dict]:
    """The brief's headline claims, by column of :data:`PICKS`."""
    job = outcome.job
    name = brief_name(job.unit_id, job.language, job.area)
    claims = read_claims(outcome.folder)
    claims = claims[(claims["brief"] == name) & (claims["section"] == "summary")].to_dict("records")
    found = {}
    for column, _, wanted in PICKS[_kind(job)]:
        at = next((i for i, c in enumerate(claims) if wanted(c)), None)
        if at is None:
            continue
        claim = found[column] = {**claims[at], "brief": name}
        if claim["column"] == "estimate":  # an effect is shown with its interval: the claims that follow it
            bounds = [next((c for c in claims[at:] if c["row"] == claim["row"] and c["table"] == claim["table"]
                            and c["column"] == side), None) for side in ("conf_low", "conf_high")]
            if all(bounds):
                claim["interval"] = [{**b, "brief": name} for b in bounds]
    return found


def _number(value: str) -> str:
    try:
        return repr(float(value))
    except ValueError:
        return value.replace("-", "")  # months (2024-03) sort as 202403


def _span(claim: dict, language: str) -> str:
    where = t(language, "claim_source", table=claim["table"], row=claim["row"] or "–", column=claim["column"] or "–")
    return (f'<span class="claim" data-brief="{html.escape(claim["brief"])}" data-claim="{claim["claim_id"]}" '
            f'title="{html.escape(where)}">{html.escape(claim["text"])}</span>')


def _cell(claim: dict | None, label: str, language: str) -> tuple[str, str]:
    """(data value, <td>) of one headline figure; a figure a brief does not have is said in words."""
    if claim is None:
        return "", f'<td data-label="{html.escape(label)}">{html.escape(t(language, "index_not_in_brief"))}</td>'
    text = _span(claim, language)
    if claim.get("interval"):
        low, high = (_span(c, language) for c in claim["interval"])
        text += " " + t(language, "index_interval", low=low, high=high)
    return _number(claim["value"]), f'<td data-label="{html.escape(label)}">{text}</td>'


def write_index(run_dir: str | Path, outcomes: list, language: str) -> Path:
    """Write ``<run>/index-<language>.html`` for the briefs of ``outcomes`` (complete and failed)."""
    res = RunResults(run_dir)
    done = [o for o in outcomes if o.status == "complete"]
    failed = [o for o in outcomes if o.status != "complete"]
    kinds = sorted({_kind(o.job) for o in done}) or ["area"]
    outcome_label = sentences.label(res.headline.iloc[0]["outcome"], language) if not res.headline.empty else ""
    labels = {c: t(language, key, label=outcome_label) for kind in kinds for c, key, _ in PICKS[kind]}
    columns = list(labels)
    rows = []
    for o in sorted(done, key=lambda o: _title(res, o.job, language)):
        title = _title(res, o.job, language)
        figures = _figures(o)
        cells, data = [], {}
        for column in columns:
            data[column], cell = _cell(figures.get(column), labels[column], language)
            cells.append(cell)
        links = " ".join(f'<a href="{html.escape(o.outputs[f].relative_to(res.run_dir).as_posix())}">{f.upper()}</a>'
                         for f in ("html", "pdf") if f in o.outputs)
        attrs = " ".join(f'data-{c}="{html.escape(v)}"' for c, v in data.items())
        rows.append(f'<tr data-name="{html.escape(title)}" {attrs}><td data-label="{html.escape(t(language, "index_col_area"))}">'
                    f'{html.escape(title)}</td>{"".join(cells)}'
                    f'<td class="links" data-label="{html.escape(t(language, "index_col_links"))}">{links}</td></tr>')
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   [t(language, "index_col_area"), *labels.values(), t(language, "index_col_links")])
    options = "".join(f'<option value="{c}">{html.escape(labels[c])}</option>' for c in columns)
    title = t(language, "index_title")
    failures = ""
    if failed:
        items = "".join(f"<li>{html.escape(o.job.name)}: {html.escape(o.error)}</li>" for o in failed)
        failures = f"<h2>{html.escape(t(language, 'index_failed'))}</h2><ul>{items}</ul>"
    page = f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE.read_text(encoding="utf-8")}{PAGE_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(t(language, "index_intro", n=len(done), run_id=res.run_id))}</p>
<div class="controls">
<label>{html.escape(t(language, "index_filter"))}<input id="filter" type="search" autocomplete="off"></label>
<label>{html.escape(t(language, "index_sort"))}<select id="sort"><option value="name">{html.escape(t(language, "index_sort_name"))}</option>{options}</select></label>
<span id="count" data-template="{html.escape(t(language, "index_shown", shown="{shown}", total="{total}"))}"></span>
</div>
<table id="briefs" class="index">
<thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p id="none" hidden>{html.escape(t(language, "index_none_match"))}</p>
{failures}
<script>{SCRIPT}</script>
</body>
</html>
"""
    path = index_path(res.run_dir, language)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path

