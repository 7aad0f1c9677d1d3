"""Write the evaluation notebooks (notebooks/NN_*.ipynb) from their cell sources below.

The parameters cell of each notebook is generated from analysis.config.RunParams, so its
defaults, types and help comments match the run parameters exactly (tests check it).
Edit the notebooks in JupyterLab as usual; rerun this script only to regenerate them.
    python tools/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from analysis.config import RunParams
from analysis.runner import RUNNER_PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = RunParams().model_dump()


def parameters_cell(names: list[str]) -> nbformat.NotebookNode:
    lines = ["# Parameters (papermill injects the run's values below this cell; `analysis params` lists them)"]
    for name in names:
        if name in RUNNER_PARAMETERS:
            default = "reports/runs/dev" if name == "run_dir" else ""
            lines.append(f"{name}: str = {default!r}  # {RUNNER_PARAMETERS[name]}")
            continue
        field = RunParams.model_fields[name]
        value = DEFAULTS[name]
        kind = "list" if isinstance(value, list) else type(value).__name__
        lines.append(f"{name}: {kind} = {value!r}  # {field.description}")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["parameters"]
    return cell


def notebook(title: str, intro: str, params: list[str], cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\n{intro}"), parameters_cell(params)]
    for kind, source in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        nb.cells.append(make(source.strip("\n")))
    return nb


SELECTION = ["units", "unit_types", "start_month", "end_month"]
SPEC = ["est_method", "control_group", "covariates", "anticipation", "base_period", "min_e", "max_e",
        "inference", "biters", "alp", "seed"]

NOTEBOOKS = {
    "01_clean": notebook(
        "1. Cleaning: raw exports to canonical tables",
        "Reads every raw export in `raw_dir` (CSV in any encoding or separator, Excel), maps it to the "
        "canonical schemas, pseudonymises NIP/NI before anything is written, and accounts for every raw "
        "row: kept, rejected with a reason, or merged as a duplicate. Then builds the analysis panels.",
        ["study", "raw_dir", "interim_dir", "processed_dir", "engine", "memory_limit", "spark_master", "spark_conf",
         "run_dir"],
        [
            ("code", """
from pathlib import Path

from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder
from analysis.clean import clean_raw
from analysis.engine import EngineConfig
from analysis.evaluation.describe import rejects_by_reason
from analysis.evaluation.panel import load_panel, run_info
from analysis.outputs import save_table
from analysis.panels import build_panels

NOTEBOOK = "01_clean"
"""),
            ("md", "## Clean the exports\n\nCleaning stops with a message naming file, column and row if an "
                   "export cannot be trusted, and then writes nothing."),
            ("code", """
data_engine = EngineConfig(engine, memory_limit, spark_master, dict(spark_conf))  # README: Engines
report = clean_raw(Path(raw_dir), Path(interim_dir), study=study, engine=data_engine)
quality = report.quality
save_table(quality, "data_quality", run_dir, notebook=NOTEBOOK, title="Rows per raw file: kept, rejected, merged")
quality[["file", "table", "rows_raw", "rows_clean", "rows_rejected", "rows_duplicate"]]
"""),
            ("md", "## Every raw row accounted for\n\n`rows_raw = rows_clean + rows_rejected + rows_duplicate` "
                   "must hold for every file."),
            ("code", """
balance = quality["rows_raw"] - quality["rows_clean"] - quality["rows_rejected"] - quality["rows_duplicate"]
assert (balance == 0).all(), quality[balance != 0]
reasons = rejects_by_reason(interim_dir)
save_table(reasons, "rejects_by_reason", run_dir, notebook=NOTEBOOK, title="Rejected rows by reason")
reasons
"""),
            ("md", "## Analysis panels\n\nUnit x month (and unit x week for disease surveillance) panels with "
                   "each unit's adoption period, ready for the estimators."),
            ("code", """
panels = build_panels(Path(interim_dir), Path(processed_dir), engine=data_engine)
monthly = load_panel(processed_dir)
source = "synthetic" if (Path(raw_dir) / "SYNTHETIC.json").exists() else "export"
info = run_info(monthly, source)
save_table(info, "run_info", run_dir, notebook=NOTEBOOK, title="Data analysed")
info
"""),
            ("md", "## Uptake: used, not only adopted\n\nOn-time SKP submission, the share of staff appraised by a "
                   "supervisor, the spread of ratings and training hours per ASN, per unit before and after "
                   "adoption (`panel_unit_month_uptake`; definitions in docs/codebook.md)."),
            ("code", """
from analysis.uptake import uptake_summary

uptake = uptake_summary(load_panel(processed_dir, "panel_unit_month_uptake"))
save_table(uptake, "uptake_summary", run_dir, notebook=NOTEBOOK, title="Uptake measures by unit, before and after adoption")
uptake.groupby("phase")[["ontime_share", "appraised_share", "rating_spread", "training_hours_per_asn"]].mean()
"""),
        ],
    ),
    "02_describe": notebook(
        "2. Description: adoption, outcomes, sample sizes",
        "Who adopted KPI-based management when, how the outcomes moved by adoption cohort, citizen "
        "satisfaction (IKM) by unit with its mutu category, waiting times by service and channel, SKP "
        "predikat shares, training coverage, and whether each survey met the Krejcie-Morgan sample size.",
        ["interim_dir", "processed_dir", "run_dir", "outcomes", *SELECTION, "language"],
        [
            ("code", """
import pandas as pd

from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder

from analysis.evaluation import describe, figures
from analysis.evaluation.panel import load_panel, outcome_panel, select_units, select_window
from analysis.outputs import save_figure, save_table

NOTEBOOK = "02_describe"
monthly = load_panel(processed_dir)
if units or unit_types:
    monthly = select_units(monthly, units, unit_types)
monthly = select_window(monthly, start_month, end_month, "month")
"""),
            ("md", "## Adoption timeline"),
            ("code", """
schedule = describe.adoption_schedule(monthly)
save_table(schedule, "adoption_schedule", run_dir, notebook=NOTEBOOK, title="Adoption month per unit")
cohorts = describe.cohort_sizes(schedule)
save_table(cohorts, "cohort_sizes", run_dir, notebook=NOTEBOOK, title="Units per adoption cohort")
fig = figures.adoption_timeline(schedule, monthly["month"], language)
save_figure(fig, "adoption_timeline", run_dir, notebook=NOTEBOOK, title="KPI adoption by unit and month")
cohorts
"""),
            ("md", "## Outcome trends by adoption cohort\n\nThe raw picture before any estimator: mean outcome "
                   "per cohort and period; dotted lines mark adoption."),
            ("code", """
for yname in outcomes:
    panel = outcome_panel(processed_dir, yname, units=units, unit_types=unit_types,
                          start_month=start_month, end_month=end_month)
    trends = describe.cohort_trends(panel.data, yname, panel.tname)
    fig = figures.cohort_trends(trends, yname, language=language, tname=panel.tname)
    save_figure(fig, f"trends_{yname}", run_dir, notebook=NOTEBOOK, title=f"{yname} by adoption cohort")
"""),
            ("md", "## Citizen satisfaction (IKM) by unit and quarter\n\nIKM per PermenPANRB 14/2017, with the "
                   "Krejcie-Morgan sample size each survey needed."),
            ("code", """
ikm = describe.ikm_unit_quarter(processed_dir, monthly)
save_table(ikm, "ikm_unit_quarter", run_dir, notebook=NOTEBOOK, title="IKM, mutu and sample adequacy per unit-quarter")
save_figure(figures.ikm_by_unit(ikm, language), "ikm_by_unit", run_dir, notebook=NOTEBOOK, title="Latest IKM per unit")
print(f"unit-quarters below the Krejcie-Morgan sample size: {(~ikm['meets_sample']).sum()} of {len(ikm)}")
"""),
            ("md", "## Waiting times by service and channel"),
            ("code", """
waits = describe.wait_by_service_channel(interim_dir)
save_table(waits, "wait_by_service_channel", run_dir, notebook=NOTEBOOK, title="Waiting time by service and channel")
sample = describe.wait_sample(interim_dir)
save_figure(figures.wait_distribution(sample, language), "wait_distribution", run_dir, notebook=NOTEBOOK,
            title="Distribution of waiting times")
waits
"""),
            ("md", "## Appraisals (SKP predikat) and training coverage"),
            ("code", """
predikat = describe.skp_predikat_shares(interim_dir)
save_table(predikat, "skp_predikat_shares", run_dir, notebook=NOTEBOOK, title="SKP predikat shares per year")
training = describe.training_coverage(interim_dir)
save_table(training, "training_coverage", run_dir, notebook=NOTEBOOK, title="Share of ASN trained, by unit type")
training
"""),
        ],
    ),
    "03_estimate": notebook(
        "3. Estimation: the effect of KPI adoption",
        "For each outcome, the Callaway-Sant'Anna estimate (overall, by cohort, event study) beside the "
        "comparators: two-way fixed effects (with its Goodman-Bacon decomposition), Sun-Abraham and the "
        "imputation estimator. The inference method follows the number of units and is reported with "
        "each estimate. On synthetic data the generator's true effect is shown beside each estimate.",
        ["raw_dir", "processed_dir", "run_dir", "outcomes", "estimator", *SPEC, *SELECTION, "language",
         "asn_level", "asn_period", "asn_chunks", "engine", "memory_limit", "spark_master", "spark_conf"],
        [
            ("code", """
import pandas as pd

from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder

from analysis.did.bacon import bacon_decomposition
from analysis.evaluation import figures
from analysis.evaluation.estimate import Spec, estimate_outcome, headline_with_truth, true_effects
from analysis.evaluation.panel import outcome_panel
from analysis.labels import outcome_unit
from analysis.outputs import save_figure, save_table

NOTEBOOK = "03_estimate"
spec = Spec(est_method=est_method, control_group=control_group, covariates=tuple(covariates),
            anticipation=anticipation, base_period=base_period, min_e=min_e, max_e=max_e,
            inference=inference, biters=biters, alp=alp, seed=seed)
spec
"""),
            ("md", "## Estimates per outcome"),
            ("code", """
headline, tidy, bacon = [], [], []
for yname in outcomes:
    panel = outcome_panel(processed_dir, yname, units=units, unit_types=unit_types,
                          start_month=start_month, end_month=end_month)
    est = estimate_outcome(panel, spec)
    truth = true_effects(raw_dir, est)
    headline.append({**headline_with_truth(est, truth, estimator), "unit": outcome_unit(yname, language)})
    tidy.append(est.tidy())
    decomposition = bacon_decomposition(panel.data, yname, panel.tname, panel.idname, panel.gname)
    bacon.append(decomposition.by_type().rename(columns={"type": "comparison"}).assign(outcome=yname))
    fig = figures.event_study(est.tidy(), yname, language, weekly=panel.frequency == "week", truth=truth)
    save_figure(fig, f"event_study_{yname}", run_dir, notebook=NOTEBOOK, title=f"Event study: {yname}")
    print(est.aggregates["simple"].summary())
"""),
            ("md", "## Headline table\n\nOne row per outcome: the overall effect of adoption, its interval, "
                   "the inference used and why, the naive TWFE estimate and (synthetic data) the truth."),
            ("code", """
headline = pd.DataFrame(headline)
save_table(headline, "headline", run_dir, notebook=NOTEBOOK, title="Overall effect of KPI adoption per outcome")
save_table(pd.concat(tidy, ignore_index=True), "estimates", run_dir, notebook=NOTEBOOK,
           title="All estimates (tidy)")
save_table(pd.concat(bacon, ignore_index=True), "bacon", run_dir, notebook=NOTEBOOK,
           title="Goodman-Bacon decomposition of TWFE")
headline[["outcome", "estimate", "conf_low", "conf_high", "true_att", "covers_truth", "twfe_estimate", "inference"]]
"""),
            ("md", "## Employee level: the chance of a good SKP\n\n"
                   "Each employee's monthly appraisal (`panel_asn_month`, pseudonymised) rather than each unit's "
                   "share: the effect of KPI adoption on the chance that an employee is rated Baik or Sangat Baik. "
                   "The panel can hold 155 million rows nationally, so the streamed Callaway-Sant'Anna estimator "
                   "reads it in `asn_chunks` chunks of employees (DuckDB, or Spark partitions with `engine: spark`) "
                   "and never holds it whole. It needs a balanced panel: by quarter (`asn_period`), the outcome is each "
                   "employee's share of appraised months rated good, and the employees appraised in every quarter "
                   "of the window form the sample (months often lack an appraisal); "
                   "standard errors and the multiplier bootstrap are clustered by office (adoption is decided per "
                   "office), with the same few-cluster rule as above. No covariates, no unit or month selection."),
            ("code", """
from analysis.engine import EngineConfig
from analysis.evaluation.asn import estimate_asn, headline_table, true_asn_effects

if asn_level:
    data_engine = EngineConfig(engine, memory_limit, spark_master, dict(spark_conf))
    asn = estimate_asn(processed_dir, spec, engine=data_engine, n_chunks=asn_chunks, period=asn_period)
    asn_headline = headline_table(asn, true_asn_effects(raw_dir, asn, max_e))
    save_table(asn_headline, "asn_headline", run_dir, notebook=NOTEBOOK,
               title="Employee-level effect of KPI adoption on a good SKP (overall, by aggregation)")
    save_table(asn.tidy(), "asn_estimates", run_dir, notebook=NOTEBOOK,
               title="Employee-level estimates (tidy): simple, event study, by cohort")
    print(asn.inference_reason)
    display(asn_headline[["type", "estimate", "conf_low", "conf_high", "true_att", "covers_truth", "n_employees",
                          "n_employees_panel", "n_clusters"]])
"""),
        ],
    ),
}

NOTEBOOKS["04_robustness"] = notebook(
    "4. Robustness: can the estimates be trusted?",
    "Pre-trend test, placebo adoption dates, the not-yet-treated comparison, covariates, anticipation, "
    "honest bounds for violations of parallel trends (Rambachan and Roth) and a specification curve: "
    "the same overall estimate across a grid of reasonable choices.",
    ["processed_dir", "run_dir", "outcomes", *SPEC, *SELECTION, "language"],
    [
        ("code", """
import pandas as pd

from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder

from analysis.evaluation import figures, robustness
from analysis.evaluation.estimate import Spec, estimate_outcome
from analysis.evaluation.panel import outcome_panel
from analysis.outputs import save_figure, save_table

NOTEBOOK = "04_robustness"
spec = Spec(est_method=est_method, control_group=control_group, covariates=tuple(covariates),
            anticipation=anticipation, base_period=base_period, min_e=min_e, max_e=max_e,
            inference=inference, biters=biters, alp=alp, seed=seed)
estimates = {}
for yname in outcomes:
    panel = outcome_panel(processed_dir, yname, units=units, unit_types=unit_types,
                          start_month=start_month, end_month=end_month)
    estimates[yname] = estimate_outcome(panel, spec, with_comparators=False)
"""),
        ("md", "## Pre-trends and honest bounds\n\nA pre-trend test that rejects, or honest bounds whose "
               "breakdown value is small, means the estimate must not be reported as a clean effect."),
        ("code", """
honest, dynamics = [], {}
for yname, est in estimates.items():
    dynamics[yname] = robustness.universal_event_study(est)
    bounds = robustness.honest_table(est, dynamics[yname], alp=alp)
    honest.append(bounds)
    save_figure(figures.honest_bounds(bounds, yname, language), f"honest_{yname}", run_dir,
                notebook=NOTEBOOK, title=f"Honest bounds: {yname}")
honest = pd.concat(honest, ignore_index=True)
pretrend = robustness.pretrend_table(estimates.values(), dynamics, honest, alp)
save_table(pretrend, "pretrend", run_dir, notebook=NOTEBOOK, title="Pre-trend test and flags per outcome")
save_table(honest, "honest_bounds", run_dir, notebook=NOTEBOOK, title="Honest bounds (Rambachan-Roth)")
pretrend
"""),
        ("md", "## Alternative choices and placebo adoption dates"),
        ("code", """
checks = pd.concat([robustness.robustness_checks(est) for est in estimates.values()], ignore_index=True)
save_table(checks, "robustness", run_dir, notebook=NOTEBOOK, title="Overall effect under alternative choices")
checks
"""),
        ("md", "## Specification curve"),
        ("code", """
curves = []
for yname, est in estimates.items():
    curve = robustness.specification_curve(est)
    curves.append(curve)
    save_figure(figures.spec_curve(curve, yname, language), f"spec_curve_{yname}", run_dir,
                notebook=NOTEBOOK, title=f"Specification curve: {yname}")
save_table(pd.concat(curves, ignore_index=True), "spec_curve", run_dir, notebook=NOTEBOOK,
           title="Overall effect across specifications")
"""),
    ],
)

NOTEBOOKS["05_heterogeneity"] = notebook(
    "5. Heterogeneity and mechanisms",
    "Effects by channel (online vs walk-in) and service for the queue outcomes, by unit type and kelurahan; "
    "which unit characteristics predict larger effects (cross-fitted gradient boosting, judged out of fold); "
    "and whether training coverage moves with adoption (a channel of the reform).",
    ["study", "interim_dir", "processed_dir", "run_dir", "outcomes", *SPEC, *SELECTION],
    [
        ("code", """
import pandas as pd

from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder

from analysis.study import load as load_study
from analysis.evaluation import heterogeneity as het
from analysis.evaluation.estimate import Spec, estimate_outcome
from analysis.evaluation.panel import load_panel, outcome_panel
from analysis.outputs import save_table

NOTEBOOK = "05_heterogeneity"
spec = Spec(est_method=est_method, control_group=control_group, covariates=tuple(covariates),
            anticipation=anticipation, base_period=base_period, min_e=min_e, max_e=max_e,
            inference=inference, biters=biters, alp=alp, seed=seed)
monthly = load_panel(processed_dir)
unit_info = monthly.drop_duplicates("unit_id")[["unit_id", "unit_type", "kelurahan", "distance_km"]]
area = load_study(study)  # units are grouped at the study's level: kelurahan, kecamatan or kab/kota
unit_info[area.grouping] = area.areas_of(unit_info["unit_id"], unit_info["kelurahan"])
"""),
        ("md", "## Effects by channel, service, unit type and area (the study's grouping level)"),
        ("code", """
rows = []
for yname in outcomes:
    panel = outcome_panel(processed_dir, yname, units=units, unit_types=unit_types,
                          start_month=start_month, end_month=end_month)
    levels = panel.data["unit_id"].map(unit_info.set_index("unit_id")["unit_type"])
    rows.append(het.by_level(panel, spec, levels, "unit_type"))
    groups = panel.data["unit_id"].map(unit_info.set_index("unit_id")[area.grouping])
    rows.append(het.by_level(panel, spec, groups, area.grouping))
    if yname in het.TICKET_MEASURES:
        rows.append(het.by_ticket_level(interim_dir, monthly, yname, spec, "channel"))
        rows.append(het.by_ticket_level(interim_dir, monthly, yname, spec, "service"))
heterogeneity = pd.concat(rows, ignore_index=True)
save_table(heterogeneity, "heterogeneity", run_dir, notebook=NOTEBOOK, title="Effects by subgroup")
heterogeneity
"""),
        ("md", "## Which units gain more?\n\nUnit-level effects explained by unit characteristics; the fit is "
               "measured out of fold only (an out-of-fold R² near zero means no characteristic predicts it)."),
        ("code", """
predictors = []
for yname in outcomes:
    panel = outcome_panel(processed_dir, yname, units=units, unit_types=unit_types,
                          start_month=start_month, end_month=end_month)
    try:
        table, r2 = het.effect_predictors(panel, unit_info, seed, area=area.grouping)
    except ValueError as exc:
        print(f"{yname}: {exc}")
        continue
    predictors.append(table)
predictors = het.stack_predictors(predictors)
save_table(predictors, "effect_predictors", run_dir, notebook=NOTEBOOK, title="Predictors of unit-level effects")
predictors.groupby("outcome").head(3)
"""),
        ("md", "## Readiness and uptake\n\nAdopters split into terciles of readiness (on-time SKP and appraisal "
               "coverage in the six months before adoption) and of uptake (the same from adoption on). Uptake is "
               "measured after adoption, so it is partly an outcome of adoption: effects by uptake show where the "
               "reform worked, not what raising uptake would cause."),
        ("code", """
from analysis.evaluation import intensity

scores = intensity.unit_scores(load_panel(processed_dir, "panel_unit_month_uptake")).merge(
    monthly.drop_duplicates("unit_id")[["unit_id", "unit_name", "unit_type"]], on="unit_id", how="left")
save_table(scores, "uptake_scores", run_dir, notebook=NOTEBOOK, title="Readiness and uptake per adopting unit")
rows = []
for yname in outcomes:
    panel = outcome_panel(processed_dir, yname, units=units, unit_types=unit_types,
                          start_month=start_month, end_month=end_month)
    for dimension in ("readiness", "uptake"):
        rows.append(intensity.by_tercile(panel, spec, scores, dimension))
by_intensity = pd.concat(rows, ignore_index=True)
save_table(by_intensity, "effects_by_intensity", run_dir, notebook=NOTEBOOK,
           title="Effects by readiness and uptake tercile")
intensity_gradient = intensity.gradient(by_intensity, alp)
save_table(intensity_gradient, "intensity_gradient", run_dir, notebook=NOTEBOOK,
           title="High minus low tercile: readiness and uptake")
intensity_gradient
"""),
        ("md", "## Mechanism: does training coverage move with adoption?"),
        ("code", """
panel = outcome_panel(processed_dir, "training_coverage", units=units, unit_types=unit_types,
                      start_month=start_month, end_month=end_month)
channel = estimate_outcome(panel, spec, with_comparators=False).headline()
channel = pd.DataFrame([{k: channel[k] for k in ("estimate", "conf_low", "conf_high", "p_value", "n_units")}])
save_table(channel, "training_channel", run_dir, notebook=NOTEBOOK, title="Effect of adoption on training coverage")
channel
"""),
    ],
)

NOTEBOOKS["06_single_office"] = notebook(
    "6. One office, one change: the online-queue launch",
    "A change made at a single office (here the online queue at the Disdukcapil office, listed in "
    "`src/analysis/evaluation/interventions.yaml`) has no adoption cohorts, so Callaway-Sant'Anna does not "
    "apply. Synthetic difference-in-differences (Arkhangelsky et al. 2021) weights donor offices and "
    "pre-launch months so that the donors' past tracks the office's past; synthetic control and a plain "
    "DiD are shown beside it. Inference is by in-space placebo: each donor in turn pretends to be treated.",
    ["processed_dir", "run_dir", "alp", "seed", "language"],
    [
        ("code", """
from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder

from analysis.evaluation import figures
from analysis.evaluation import single_office as so
from analysis.evaluation.panel import load_panel
from analysis.outputs import save_figure, save_table

NOTEBOOK = "06_single_office"
monthly = load_panel(processed_dir)
unit_info = monthly.drop_duplicates("unit_id")[["unit_id", "unit_type"]]
"""),
        ("md", "## Effects of each single-office change\n\nOne row per outcome and estimator; `n_donors` offices "
               "report the outcome in every month of the window (12 months before the launch to the last month)."),
        ("code", """
results = so.estimate_interventions(monthly, unit_info, seed=seed, alp=alp)
effects = results["effects"]
save_table(effects, "single_office", run_dir, notebook=NOTEBOOK, title="Effect of a change at one office")
effects
"""),
        ("md", "## Who stands in for the office?\n\nDonor weights (synthetic DiD and synthetic control) and their "
               "sum by unit type: the comparison the brief describes in words."),
        ("code", """
save_table(results["weights"], "single_office_unit_weights", run_dir, notebook=NOTEBOOK, title="Donor unit weights")
save_table(results["months"], "single_office_time_weights", run_dir, notebook=NOTEBOOK,
           title="Pre-launch month weights (synthetic DiD)")
save_table(results["donors"], "single_office_donors", run_dir, notebook=NOTEBOOK, title="Donor weight by unit type")
results["donors"]
"""),
        ("md", "## Month by month\n\nBefore the launch the gap should hover around zero (the fit); after it, "
               "the gap is the effect."),
        ("code", """
paths = results["paths"]
save_table(paths, "single_office_path", run_dir, notebook=NOTEBOOK, title="Effect path of a change at one office")
for (name, yname), part in (paths.groupby(["intervention", "outcome"], sort=True) if len(paths) else []):
    save_figure(figures.office_effect_path(part, yname, language), f"single_office_{name}_{yname}", run_dir,
                notebook=NOTEBOOK, title=f"{name}: {yname} month by month")
"""),
    ],
)

NOTEBOOKS["07_design"] = notebook(
    "7. Designing the next rollout",
    "The units that have not adopted yet, scheduled three ways (all at once, staggered by kelurahan, randomised "
    "order). Each outcome's noise (unit variances, serial correlation) is fitted on the data's untreated months; "
    "rollouts are simulated (seeded, in parallel) and analysed with the evaluation's estimator. The table gives, "
    "per outcome and schedule, the minimum detectable effect at 80% power and the interval width; months are "
    "calendar months (`analysis design` prints the same comparison).",
    ["processed_dir", "run_dir", "outcomes", "alp", "seed", "language"],
    [
        ("code", """
from analysis.runner import enter_project

enter_project()  # paths in the parameters are relative to the project folder

from analysis.evaluation import figures
from analysis.evaluation.panel import load_panel
from analysis.evaluation.rollout import Plan, compare_schedules, default_adopt_month
from analysis.outputs import save_figure, save_table

NOTEBOOK = "07_design"
monthly = load_panel(processed_dir)
plan = Plan(default_adopt_month(monthly["month"].max().strftime("%Y-%m")))
plan
"""),
        ("md", "## Three schedules compared\n\n`mde_size_adjusted` is the honest number to compare by (it uses "
               "the critical value that gives the test its nominal size in the simulation); a missing MDE means "
               "the schedule leaves nothing to compare within the window."),
        ("code", """
design, calendar = compare_schedules(monthly, [o for o in outcomes if o in monthly.columns], plan, reps=200,
                                     seed=seed, n_jobs=2, progress=True, alpha=alp)
save_table(design, "design", run_dir, notebook=NOTEBOOK, title="Next rollout: detectable effect by schedule")
save_table(calendar, "design_calendar", run_dir, notebook=NOTEBOOK, title="Next rollout: adoption month per unit")
design[["outcome", "scenario", "n_units", "mde", "mde_size_adjusted", "ci_width", "size", "note", "window"]]
"""),
        ("code", """
save_figure(figures.design_mde(design, language), "design_mde", run_dir, notebook=NOTEBOOK,
            title="Minimum detectable effect by schedule")
"""),
    ],
)


def main() -> None:
    for name, nb in NOTEBOOKS.items():
        path = ROOT / "notebooks" / f"{name}.ipynb"
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name.split('_', 1)[0]}-{i}"  # stable ids: a rewrite changes only what changed
        nbformat.validate(nb)
        nbformat.write(nb, path)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
