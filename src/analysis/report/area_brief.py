"""What an area brief adds to a brief: the area's name in words, its profile, and its own effect estimate.

An area is one value of the study's grouping level (a kelurahan of a kecamatan study, a
kecamatan of a city, a kab/kota of a province). The effects in the brief are the study's; the area's
part is descriptive (its units, when they adopted, their IKM) plus the heterogeneity table's
estimate for the area when the run estimated one. Every number is a claim on the run's tables
(units selected with :func:`analysis.report.areas.area_filter`).
"""

from __future__ import annotations

from analysis.report import fmt, sentences
from analysis.report.areas import area_filter, area_units
from analysis.report.claims import Ledger, row_key
from analysis.report.common import adopted, level
from analysis.report.i18n import UNIT_TYPES, join_list, t, vocab


#: How a sentence names an area, by the study's grouping level.
AREA_NAME = {"kelurahan": "area_name_kelurahan", "kecamatan": "area_name_kecamatan", "kabkota": "area_name_kabkota"}


def area_words(res, area: str, language: str) -> str:
    """The area as a sentence names it (``Kecamatan <name>``, ``Kelurahan <name>``, a kab/kota's own name)."""
    return t(language, AREA_NAME[res.study.grouping], name=area)


def area_profile(res, area: str, language: str, min_cell: int, led: Ledger) -> str:
    """How many units the area has, of which types, how many adopted and when."""
    units = area_units(res, area)
    where = area_filter(res, area)
    adopters = units[units["adoption_month"].map(adopted)]
    months = sorted(str(m) for m in adopters["adoption_month"])
    types = units["unit_type"].astype(str).value_counts().sort_index()
    type_list = join_list([t(language, "area_type_count", n=fmt.integer(n, language), type=vocab(UNIT_TYPES, language, k))
                           for k, n in types.items()], language)
    n_units = led.add(fmt.integer(len(units), language), len(units), "adoption_schedule", where, "unit_id", "count")
    text = t(language, "area_profile", area=area_words(res, area, language), n=n_units, types=type_list)
    if months:
        adopted_where = f"{where}&adoption_month!="
        text += " " + t(language, "area_adopted",
                        n=led.add(fmt.integer(len(adopters), language), len(adopters), "adoption_schedule",
                                  adopted_where, "unit_id", "count"),
                        first=led.add(fmt.month(months[0], language), months[0], "adoption_schedule", adopted_where,
                                      "adoption_month", "min"),
                        last=led.add(fmt.month(months[-1], language), months[-1], "adoption_schedule", adopted_where,
                                     "adoption_month", "max"))
    not_yet = len(units) - len(adopters)
    if not_yet:
        text += " " + t(language, "area_not_yet", n=led.add(fmt.integer(not_yet, language), not_yet,
                                                             "adoption_schedule", f"{where}&adoption_month=",
                                                             "unit_id", "count"))
    return text


def area_heterogeneity(res, area: str, language: str, alp: float, led: Ledger) -> str:
    """The headline outcome's effect among the area's units, when the heterogeneity step estimated it."""
    het = res.optional("heterogeneity")
    if het is None or res.headline.empty:
        return ""
    outcome = res.headline.iloc[0]["outcome"]
    dimension = res.study.grouping
    rows = het[(het["outcome"] == outcome) & (het["dimension"] == dimension) & (het["level"].astype(str) == area)]
    label = sentences.label(outcome, language)
    if rows.empty or fmt.is_missing(rows.iloc[0]["estimate"]):
        return t(language, "area_het_none", area=area_words(res, area, language), label=label)
    row = rows.iloc[0]
    source = (led, "heterogeneity", row_key(outcome=outcome, dimension=dimension, level=area))
    shown = sentences.show(outcome, row["estimate"], row["conf_low"], row["conf_high"], language,
                           res.headline.iloc[0]["baseline_mean"], source=source)
    return t(language, "area_het", area=area_words(res, area, language), label=label, estimate=shown.estimate,
             level=level(led, alp, language), low=shown.low, high=shown.high)
