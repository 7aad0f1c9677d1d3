"""A brief's per-unit table, summarised by area when a study has more units than a planner can read.

The IKM section lists every unit while the table would have at most ``brief_max_rows`` rows (a
run parameter; runs made before it existed use its default). Above that (a province has
thousands of units) the table becomes:

* a summary by area: at the study's grouping level in the main brief (the kab/kota of a
  province), one level finer in an area's own brief (the kecamatan of a kab/kota, the
  kelurahan of a kecamatan, the unit types of a kelurahan), with per area its units, the units
  with enough respondents to show their IKM, their respondents, their IKM taken together
  (respondent-weighted), the lowest IKM of a unit, the units graded C or D and the units that
  met the sample size;
* the ``brief_end_rows`` units with the lowest and with the highest IKM, with their rank;
* a sentence naming the run's table that holds every unit (``tables/ikm_unit_quarter.csv``).

Each figure is a claim on ``ikm_unit_quarter`` that the audit recomputes (count, sum, weighted
mean, min, rank among the units shown). Disclosure control is that of the full table: a unit
with fewer than ``min_cell`` respondents enters no IKM, grade, respondent count or rank.
"""

from __future__ import annotations

import pandas as pd

from analysis.config import RunParams
from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.claims import Ledger, row_key
from analysis.report.common import type_word
from analysis.report.i18n import HET_DIMENSIONS, KINERJA, t, vocab

#: The level an area's own brief is summarised at: one finer than the study's grouping level.
FINER = {"kabkota": "kecamatan", "kecamatan": "kelurahan", "kelurahan": "unit_type"}
TABLE = "ikm_unit_quarter"


def limits(res) -> tuple[int, int]:
    """(most units listed one by one, units named at each end) of the run (parameters, else their defaults)."""
    params, fields = res.manifest.get("parameters", {}), RunParams.model_fields
    return (int(params.get("brief_max_rows", fields["brief_max_rows"].default)),
            int(params.get("brief_end_rows", fields["brief_end_rows"].default)))


def summarised(res, n_units: int) -> bool:
    """Whether a per-unit table of ``n_units`` rows is summarised by area."""
    return n_units > limits(res)[0]


def level_of(res, area: str) -> str:
    """The level the summary groups units at: the grouping level, or one finer in an area's brief."""
    return FINER[res.study.grouping] if area else res.study.grouping


def area_names(res, units: pd.DataFrame, level: str) -> pd.Series:
    """The area at ``level`` of each row of ``units`` (by the study's catalogue; unit types in words)."""
    if level == "unit_type":
        return units["unit_type"].astype(str)
    schedule = res.table("adoption_schedule")
    kelurahan = dict(zip(schedule["unit_id"].astype(str), schedule["kelurahan"].astype(str)))
    ids = units["unit_id"].astype(str)
    return pd.Series(res.study.areas_of(ids, [kelurahan.get(u, "") for u in ids], level), index=units.index)


def ikm_summary(res, last: pd.DataFrame, language: str, min_cell: int, led: Ledger, *, area: str = "",
                among: str = "") -> list[str]:
    """The parts that replace the per-unit IKM table: the sentence, the table by area and the two end tables.

    ``last``: the latest quarter's rows of :func:`analysis.report.common.ikm_frame` for the brief's units;
    ``among``: the filter (``&unit_id=...``) that selects those units, empty for the whole study."""
    level = level_of(res, area)
    q_raw = last["quarter_raw"].iloc[0]
    quarter = fmt.quarter(last["quarter"].iloc[0], language)
    level_word = vocab(HET_DIMENSIONS, language, level)
    n = led.add(fmt.integer(len(last), language), len(last), TABLE, f"quarter={q_raw}{among}", "unit_id", "count")
    parts = [t(language, "ikm_summary_text", n=n, level=level_word, table=f"`tables/{TABLE}.csv`")]
    parts.append(_by_area(res, last, language, min_cell, led, level, q_raw, among, quarter))
    parts += _ends(res, last, language, min_cell, led, level, q_raw, among, quarter)
    return parts


def _by_area(res, last, language, min_cell, led, level, q_raw, among, quarter) -> str:
    rows = []
    last = last.assign(_area=area_names(res, last, level))
    for name, part in last.groupby("_area", sort=True):
        where = (f"quarter={q_raw}&unit_type={name}{among}" if level == "unit_type" else
                 f"quarter={q_raw}&unit_id=" + "|".join(sorted(part["unit_id"].astype(str))))
        shown_where = f"{where}&n>={min_cell}"
        shown = part[~part["suppressed"]]
        count = lambda k, where: led.add(fmt.integer(k, language), k, TABLE, where, "unit_id", "count")  # noqa: E731
        if shown.empty:
            ikm_cells = [t(language, "ikm_group_none")] * 3
        else:
            total = int(shown["n"].sum())
            pooled = float((shown["ikm"].astype(float) * shown["n"]).sum() / total)
            lowest = float(shown["ikm"].astype(float).min())
            ikm_cells = [led.add(fmt.integer(total, language), total, TABLE, shown_where, "n", "sum"),
                         led.add(fmt.number(pooled, language, 1), pooled, TABLE, shown_where, "ikm", "wmean:n"),
                         led.add(fmt.number(lowest, language, 1), lowest, TABLE, shown_where, "ikm", "min")]
        graded_low = int(shown["mutu"].astype(str).isin(("C", "D")).sum())
        met = int(part["meets_sample"].astype(bool).sum())
        label = sentences.capitalise(type_word(name, language)) if level == "unit_type" else name
        rows.append([label, count(len(part), where), count(len(shown), shown_where), *ikm_cells,
                     count(graded_low, f"{shown_where}&mutu=C|D"), count(met, f"{where}&meets_sample=true")])
    head = sentences.capitalise(vocab(HET_DIMENSIONS, language, level))
    return md.table([head, t(language, "col_n_units"), t(language, "col_units_shown"),
                     t(language, "col_respondents_shown"), t(language, "col_ikm_pooled"),
                     t(language, "col_ikm_lowest"), t(language, "col_mutu_low"), t(language, "col_meets_count")],
                    rows, align="lrrrrrrr", widths=[25, 8, 10, 12, 10, 10, 10, 15],
                    caption=t(language, "ikm_area_caption", level=vocab(HET_DIMENSIONS, language, level),
                              quarter=quarter))


def _ends(res, last, language, min_cell, led, level, q_raw, among, quarter) -> list[str]:
    """The units with the lowest and the highest IKM among those shown, with their rank (1 = highest)."""
    ends = limits(res)[1]
    ranked = last[~last["suppressed"]].assign(_ikm=lambda f: f["ikm"].astype(float))
    ranked = ranked.sort_values(["_ikm", "unit_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    if ranked.empty:
        return []
    ranked["_rank"] = range(1, len(ranked) + 1)
    ranked["_area"] = area_names(res, ranked, level)
    rank_rule = f"rank_desc:quarter={q_raw}&n>={min_cell}{among}"
    if len(ranked) <= 2 * ends:
        tables = [(ranked.iloc[::-1], "ikm_ends_all_caption")]
    else:
        tables = [(ranked.tail(ends).iloc[::-1], "ikm_lowest_caption"), (ranked.head(ends), "ikm_highest_caption")]
    parts = []
    for rows, caption in tables:
        body = []
        for r in rows.to_dict("records"):
            key = row_key(unit_id=r["unit_id"], quarter=r["quarter_raw"])
            cell = lambda text, value, column, rule="cell": led.add(text, value, TABLE, key, column, rule)  # noqa
            area = sentences.capitalise(type_word(r["_area"], language)) if level == "unit_type" else r["_area"]
            body.append([cell(fmt.integer(r["_rank"], language), int(r["_rank"]), "ikm", rank_rule),
                         r["unit_name"], area,
                         cell(fmt.integer(r["n"], language), int(r["n"]), "n"),
                         cell(fmt.number(r["ikm"], language, 1), float(r["ikm"]), "ikm"),
                         cell(str(r["mutu"]), str(r["mutu"]), "mutu"),
                         cell(vocab(KINERJA, language, str(r["kinerja"])), str(r["kinerja"]), "kinerja", "cell_word")])
        parts.append(md.table([t(language, "col_rank"), t(language, "col_unit"),
                               sentences.capitalise(vocab(HET_DIMENSIONS, language, level)),
                               t(language, "col_respondents"), t(language, "col_ikm"), t(language, "col_mutu"),
                               t(language, "col_kinerja")], body, align="rllrrcl", widths=[9, 33, 20, 11, 7, 7, 13],
                              caption=t(language, caption, quarter=quarter)))
    return parts
