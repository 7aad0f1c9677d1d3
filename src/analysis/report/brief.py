"""The sections of a policy brief, as Markdown, read from one run folder.

``reports/brief.ipynb`` calls these functions in order and displays what they
return; each returns Markdown that has passed the identifier guard
(:func:`analysis.report.disclosure.check_text`). Every number comes from the run's
result tables (docs/results.md): nothing is estimated here.

All sections take the notebook's parameters: ``run_dir``, ``language`` (id/en),
``min_cell`` (smallest count of people shown), ``unit_id`` ('' = the whole
kecamatan, else a per-unit brief) and ``alp`` (significance level of the intervals).
"""

from __future__ import annotations

from analysis.config import RunParams
from analysis.continuity import since_section
from analysis.report import fmt, sentences
from analysis.report import markdown as md
from analysis.report.advice import limitations_section, recommendations, recommendations_section
from analysis.report.common import (KEY_OUTCOMES, adopted, brief_dir, effect_rows, finding, finish, ikm_frame,
                                    type_word, typst_preamble, unit_row)
from analysis.report.evidence import evidence_sections
from analysis.report.i18n import CONTROL_GROUPS, ESTIMATORS, INFERENCE, KINERJA, join_list, t, vocab
from analysis.report.results import RunResults

__all__ = ["brief_dir", "evidence_sections", "limitations_section", "provenance_section", "recommendations_section",
           "summary_section"]


def summary_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "", alp: float = 0.05) -> str:
    """Page one: title, data period, key findings with their uncertainty, and what to do."""
    res = RunResults(run_dir)
    info = res.run_info
    parts = [typst_preamble(language)]
    if unit_id:
        unit = unit_row(res, unit_id)
        parts += [f"# {t(language, 'title_unit', unit=unit['unit_name'])}", f"**{t(language, 'subtitle_unit')}**"]
    else:
        parts.append(f"# {t(language, 'title')}")
    meta = [t(language, "meta_period", start=fmt.month(info["data_start"], language),
              end=fmt.month(info["data_end"], language))]
    started = res.manifest.get("started_at")
    if started:
        meta.append(t(language, "meta_made", date=fmt.date(started, language)))
    meta.append(t(language, "meta_run", run_id=res.run_id))
    if res.manifest.get("mode") == "interactive":  # notebooks run from JupyterLab, not by `analysis run`
        meta.append(t(language, "meta_interactive"))
    parts.append("\n".join(f"| {m}" for m in meta))  # a line block: one line each, never justified
    if str(info.get("data_source")) == "synthetic":
        parts.append(f"> {t(language, 'synthetic_warning')}")
    parts.append(since_section(res.run_dir, language, alp))  # "Sejak analisis sebelumnya", if this run continues one
    if unit_id:
        parts += [f"## {t(language, 'h_unit_profile')}", _unit_profile(res, unit_id, language, min_cell)]
        parts.append(f"## {t(language, 'unit_context')}")
    else:
        parts.append(f"## {t(language, 'h_findings')}")
    rows = effect_rows(res)
    parts.append(md.bullets([finding(r, language, alp) for r in rows[:KEY_OUTCOMES]]))
    if unit_id:
        parts.append(_unit_heterogeneity(res, unit_id, language, alp))
    if len(rows) > KEY_OUTCOMES:
        rest = [sentences.label(r["outcome"], language) for r in rows[KEY_OUTCOMES:]]
        parts.append(t(language, "more_outcomes", outcomes=join_list(rest, language)))
    parts.append(md.small(t(language, "ci_explained", level=fmt.level(alp, language))))
    if not unit_id:
        parts += [f"## {t(language, 'h_context')}", _context(res, language)]
    parts.append(f"## {t(language, 'h_actions')}")
    parts.append(md.numbered([r.heading.strip("*") for r in recommendations(res, language, min_cell, unit_id)]))
    parts.append(md.small(t(language, "actions_intro")))
    parts.append(md.page_break())
    return finish(parts)


def _context(res: RunResults, language: str) -> str:
    info, cohorts = res.run_info, res.table("cohort_sizes")
    months = sorted(str(m) for m in cohorts["adoption_month"].dropna() if str(m).strip())
    values = dict(n_units=fmt.integer(info["n_units"], language), n_adopted=fmt.integer(info["n_adopted"], language),
                  first=fmt.month(months[0], language) if months else fmt.MISSING,
                  last=fmt.month(months[-1], language) if months else fmt.MISSING,
                  n_cohorts=fmt.integer(info["n_cohorts"], language),
                  n_never=fmt.integer(int(info["n_units"]) - int(info["n_adopted"]), language))
    key = "context" if int(info["n_units"]) > int(info["n_adopted"]) else "context_all_adopted"
    return t(language, key, **values)


def _unit_profile(res: RunResults, unit_id: str, language: str, min_cell: int) -> str:
    unit = unit_row(res, unit_id)
    adoption = (t(language, "unit_adopted", month=fmt.month(unit["adoption_month"], language))
                if adopted(unit.get("adoption_month")) else t(language, "unit_not_adopted"))
    text = t(language, "unit_profile", unit=unit["unit_name"], type=type_word(unit["unit_type"], language),
             kelurahan=unit["kelurahan"], adoption=adoption)
    ikm = ikm_frame(res, min_cell)
    own = ikm[ikm["unit_id"].astype(str) == str(unit_id)]
    if not own.empty:
        last = own.loc[own["quarter_key"].idxmax()]
        quarter = fmt.quarter(last["quarter"], language)
        if last["suppressed"]:
            text += " " + t(language, "unit_ikm_suppressed", quarter=quarter, min_cell=min_cell)
        else:
            text += " " + t(language, "unit_ikm_text", quarter=quarter, ikm=fmt.number(last["ikm"], language, 1),
                            mutu=last["mutu"], kinerja=vocab(KINERJA, language, str(last["kinerja"])))
    return text


def _unit_heterogeneity(res: RunResults, unit_id: str, language: str, alp: float) -> str:
    het = res.optional("heterogeneity")
    if het is None or res.headline.empty:
        return ""
    outcome = res.headline.iloc[0]["outcome"]
    unit_type = unit_row(res, unit_id)["unit_type"]
    rows = het[(het["outcome"] == outcome) & (het["dimension"] == "unit_type") & (het["level"] == unit_type)]
    if rows.empty:
        return ""
    row = rows.iloc[0]
    shown = sentences.show(outcome, row["estimate"], row["conf_low"], row["conf_high"], language,
                           res.headline.iloc[0]["baseline_mean"])
    return t(language, "unit_het", type=type_word(unit_type, language), label=sentences.label(outcome, language),
             estimate=shown.estimate, level=fmt.level(alp, language), low=shown.low, high=shown.high)



def _value(value, language: str) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "[]"
    if value == "":
        return t(language, "empty_value")
    return str(value)


def provenance_section(run_dir, language: str = "id", min_cell: int = 10, unit_id: str = "",
                       alp: float = 0.05) -> str:
    """Run id, parameters changed from the defaults, data period, data quality, method, code version."""
    res = RunResults(run_dir)
    info, manifest = res.run_info, res.manifest
    params = manifest.get("parameters", {})
    items = [t(language, "prov_run", run_id=res.run_id,
               date=fmt.date(manifest["started_at"], language) if manifest.get("started_at") else fmt.MISSING)]
    source = str(info.get("data_source") or manifest.get("data_source", ""))
    items.append(t(language, "prov_source",
                   source=t(language, "source_synthetic" if source == "synthetic" else "source_export"),
                   start=fmt.month(info["data_start"], language), end=fmt.month(info["data_end"], language),
                   n_months=fmt.integer(info["n_months"], language)))
    head = res.headline.iloc[0].to_dict() if not res.headline.empty else {}
    estimator = vocab(ESTIMATORS, language, str(head.get("estimator") or params.get("estimator", "cs")))
    inference = str(head.get("inference") or params.get("inference", "auto"))  # what ran, not what was asked
    items.append(t(language, "prov_method", estimator=estimator,
                   control=vocab(CONTROL_GROUPS, language, str(params.get("control_group", "nevertreated"))),
                   inference=vocab(INFERENCE, language, inference), alp=fmt.number(alp, language, 2)))
    if not fmt.is_missing(head.get("true_att")):
        truth = sentences.show(head["outcome"], head["true_att"], None, None, language, head.get("baseline_mean"))
        items.append(t(language, "prov_truth", label=sentences.label(head["outcome"], language), truth=truth.estimate,
                       level=fmt.level(alp, language),
                       covers=t(language, "covers_yes" if bool(head.get("covers_truth")) else "covers_no")))
    git = manifest.get("git") or {}
    commit = str(git.get("commit") or "")[:10] or t(language, "unknown_commit")
    items.append(t(language, "prov_git", commit=commit, dirty=t(language, "prov_dirty") if git.get("dirty") else ""))
    changed = manifest.get("parameters_changed") or {}
    defaults = RunParams().model_dump()
    parts = [f"# {t(language, 'h_provenance')}", md.bullets(items)]
    if changed:
        parts.append(t(language, "prov_params"))
        parts.append(md.bullets([t(language, "prov_param_row", name=f"`{k}`", value=_value(v, language),
                                   default=_value(defaults.get(k, ""), language)) for k, v in changed.items()]))
    else:
        parts.append(t(language, "prov_params_none"))
    quality = res.table("data_quality")
    totals = quality[["rows_raw", "rows_clean", "rows_rejected", "rows_duplicate"]].sum()
    parts.append(t(language, "prov_quality", raw=fmt.integer(totals["rows_raw"], language),
                   clean=fmt.integer(totals["rows_clean"], language),
                   rejected=fmt.integer(totals["rows_rejected"], language),
                   duplicate=fmt.integer(totals["rows_duplicate"], language)))
    by_table = quality.groupby("table", sort=True)[["rows_raw", "rows_clean", "rows_rejected", "rows_duplicate"]].sum()
    parts.append(md.table([t(language, "col_table"), t(language, "col_rows_raw"), t(language, "col_rows_clean"),
                           t(language, "col_rows_rejected"), t(language, "col_rows_duplicate")],
                          [[f"`{name}`", *(fmt.integer(v, language) for v in r)] for name, r in by_table.iterrows()],
                          caption=t(language, "prov_quality_table_caption")))
    parts.append(md.small(t(language, "prov_reproduce")))
    return finish(parts)

