"""A fabricated, realistic run folder (docs/results.md) for testing briefs without running the notebooks.

Values are plausible for Plaju (30 service units, 4 adoption waves, 36 months) and
chosen so that every wording branch appears: clear effects (IKM up, waiting time
down), an effect indistinguishable from zero, a pre-trend warning, small cells to
suppress and merge, unit-quarters below the Krejcie-Morgan sample size.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.config import RunParams  # noqa: E402
from analysis.outputs import save_figure, save_table  # noqa: E402

RUN_ID = "20260115-083000-3fa2c1d9"
KELURAHAN = ("Bagus Kuning", "Komperta", "Plaju Darat", "Plaju Ilir", "Plaju Ulu", "Talang Bubuk", "Talang Putri")
COHORTS = {"2022-07": 8, "2023-01": 7, "2023-07": 5, "2024-01": 2}  # 22 adopters, 8 never
QUARTERS = [f"{y}Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]

#: outcome -> (estimate, conf_low, conf_high, baseline, twfe, pretrend p, pretrend flag)
HEADLINE = {
    "ikm": (3.24, 1.12, 5.36, 78.4, 2.1, 0.41, False),
    "wait_minutes": (-12.4, -17.2, -7.3, 52.3, -9.8, 0.63, False),
    "share_within_1h": (0.061, 0.012, 0.110, 0.48, 0.05, 0.27, False),
    "skp_good_share": (0.012, -0.021, 0.044, 0.86, 0.01, 0.55, False),
    "training_coverage": (0.152, 0.081, 0.223, 0.41, 0.12, 0.72, False),
    "assessment_score": (4.8, 1.9, 7.7, 61.2, 5.5, 0.012, True),
    "incidence_per_10k": (-0.31, -0.92, 0.30, 3.1, -0.2, 0.38, False),
}
SERVICES = {  # service -> (online tickets, walk-in tickets, mean wait online, mean wait walk-in)
    "KTP-el": (5400, 9100, 31.0, 58.0), "KK": (3900, 6800, 27.0, 49.0), "Akta Kelahiran": (2100, 3300, 24.0, 44.0),
    "Akta Kematian": (420, 910, 22.0, 41.0), "Akta Perkawinan": (160, 380, 26.0, 47.0),
    "Surat Pindah": (610, 1200, 29.0, 52.0), "KIA": (1300, 1900, 18.0, 35.0), "Legalisir Dokumen": (240, 1500, 12.0, 21.0),
    "Perubahan Biodata": (95, 410, 33.0, 61.0), "Surat Keterangan Ahli Waris": (6, 88, 40.0, 70.0),
    "Surat Pengantar": (150, 2600, 9.0, 15.0), "Surat Keterangan Domisili": (120, 980, 11.0, 19.0),
    "SKTM": (4, 310, 14.0, 24.0), "Surat Keterangan Usaha": (35, 640, 13.0, 22.0),
}


def units() -> pd.DataFrame:
    rows = [("U01", "UPTD Disdukcapil Kecamatan Plaju", "disdukcapil", "Plaju Ulu"),
            ("U02", "Kantor Camat Plaju", "kecamatan", "Plaju Ulu")]
    rows += [(f"U{3 + i:02d}", f"Kelurahan {k}", "kelurahan", k) for i, k in enumerate(KELURAHAN)]
    rows += [("U10", "Puskesmas Plaju", "puskesmas", "Plaju Ulu"),
             ("U11", "Puskesmas Talang Bubuk", "puskesmas", "Talang Bubuk"),
             ("U12", "Puskesmas Bagus Kuning", "puskesmas", "Bagus Kuning")]
    for i in range(18):
        level, number = ("SD Negeri", 100 + 3 * i) if i < 12 else ("SMP Negeri", 10 + i)
        rows.append((f"U{13 + i:02d}", f"{level} {number} Palembang", "school", KELURAHAN[i % 7]))
    frame = pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_type", "kelurahan"])
    months = [m for m, n in COHORTS.items() for _ in range(n)]
    frame["adoption_month"] = months + [""] * (len(frame) - len(months))
    start = pd.Period("2022-01", "M")
    frame["first_treat"] = [(pd.Period(m, "M") - start).n + 1 if m else 0 for m in frame["adoption_month"]]
    return frame[["unit_id", "unit_name", "unit_type", "kelurahan", "first_treat", "adoption_month"]]


def krejcie_morgan(population: int) -> int:
    x2, p, d = 3.841, 0.5, 0.05
    return int(np.ceil(x2 * population * p * (1 - p) / (d ** 2 * (population - 1) + x2 * p * (1 - p))))


def mutu(ikm: float) -> tuple[str, str]:
    for cut, grade, kinerja in ((88.31, "A", "Sangat Baik"), (76.61, "B", "Baik"), (65.0, "C", "Kurang Baik")):
        if ikm >= cut:
            return grade, kinerja
    return "D", "Tidak Baik"


def ikm_table(schedule: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for u in schedule.to_dict("records"):
        users = {"disdukcapil": 4000, "kecamatan": 900, "kelurahan": 300, "puskesmas": 1500, "school": 110}[u["unit_type"]]
        level = rng.uniform(68, 86)
        for index, q in enumerate(QUARTERS, 1):
            required = krejcie_morgan(users)
            n = int(rng.integers(int(required * 0.55), int(required * 1.25)))
            if u["unit_id"] in ("U27", "U30") and q == QUARTERS[-1]:
                n = 6  # a school with almost no respondents: must be suppressed
            adopted = u["adoption_month"] and q >= pd.Period(u["adoption_month"], "M").strftime("%YQ%q")
            ikm = float(np.clip(level + (3.2 if adopted else 0) + rng.normal(0, 1.5), 25, 100))
            grade, kinerja = mutu(ikm)
            # like the panels: ``quarter`` counts quarters from data_start (1 = 2022Q1)
            rows.append({"unit_id": u["unit_id"], "unit_name": u["unit_name"], "unit_type": u["unit_type"],
                         "quarter": index, "n": n, "required_n": required, "meets_sample": n >= required,
                         "ikm": round(ikm, 2), "mutu": grade, "kinerja": kinerja})
    return pd.DataFrame(rows)


def make_run(folder: Path, *, language: str = "id", parameters_changed: dict | None = None) -> Path:
    """Write a complete run folder into ``folder`` and return it."""
    rng = np.random.default_rng(7)
    run = Path(folder)
    run.mkdir(parents=True, exist_ok=True)
    nb = "fixture"
    schedule = units()
    changed = {"language": language} if language != "id" else {}
    changed.update(parameters_changed or {})
    params = RunParams(**changed).model_dump()
    save_table(pd.DataFrame([{"data_source": "synthetic", "data_start": "2022-01", "data_end": "2024-12", "n_units": 30,
                              "n_adopted": 22, "n_cohorts": 4, "n_months": 36}]), "run_info", run, notebook=nb)
    save_table(pd.DataFrame({
        "file": ["roster_2024.xlsx", "queue_tickets.csv", "skm_responses.csv", "skp_2022_2024.xlsx", "training.csv"],
        "table": ["asn", "tickets", "skm", "skp", "training"],
        "rows_raw": [1843, 48213, 15920, 5229, 2610], "rows_clean": [1831, 47502, 15788, 5190, 2598],
        "rows_rejected": [7, 511, 97, 31, 12], "rows_duplicate": [5, 200, 35, 8, 0]}), "data_quality", run, notebook=nb)
    save_table(pd.DataFrame({"table": ["tickets", "skm"], "reason": ["negative_wait", "likert_out_of_range"],
                             "rows": [511, 97]}), "rejects_by_reason", run, notebook=nb)
    save_table(schedule, "adoption_schedule", run, notebook=nb)
    cohorts = schedule.groupby(["first_treat", "adoption_month"], as_index=False).size().rename(columns={"size": "n_units"})
    save_table(cohorts, "cohort_sizes", run, notebook=nb)
    save_table(ikm_table(schedule, rng), "ikm_unit_quarter", run, notebook=nb)
    wait = []
    for service, (n_on, n_walk, w_on, w_walk) in SERVICES.items():
        for channel, n, w in (("online", n_on, w_on), ("walk_in", n_walk, w_walk)):
            wait.append({"service": service, "channel": channel, "n_tickets": n, "wait_mean": w,
                         "wait_median": round(w * 0.85, 1), "wait_p90": round(w * 2.1, 1),
                         "within_1h_share": float(np.clip(1.25 - w / 60, 0.05, 0.99))})
    save_table(pd.DataFrame(wait), "wait_by_service_channel", run, notebook=nb)
    skp = []
    for year in (2022, 2023, 2024):
        counts = {"Sangat Baik": 210, "Baik": 1380, "Butuh Perbaikan": 150, "Kurang": 40, "Sangat Kurang": 4}
        total = sum(counts.values())
        skp += [{"year": year, "predikat": p, "n": n, "share": n / total} for p, n in counts.items()]
    save_table(pd.DataFrame(skp), "skp_predikat_shares", run, notebook=nb)
    save_table(pd.DataFrame({"unit_type": ["disdukcapil", "kecamatan", "kelurahan", "puskesmas", "school"],
                             "n_asn": [46, 38, 112, 164, 1480], "share_trained": [0.61, 0.55, 0.38, 0.47, 0.29]}),
               "training_coverage", run, notebook=nb)

    estimates, headline, pretrend, bounds, robust, spec, bacon = [], [], [], [], [], [], []
    for outcome, (est, lo, hi, base, twfe, p, flag) in HEADLINE.items():
        se = (hi - lo) / 3.92
        for e in range(-12, 13):
            effect = 0.0 if e < 0 else est * min(1.0, (e + 1) / 4)
            if flag and e < 0:
                effect = est * (e + 12) / 12 - est  # a pre-trend heading into adoption
            noise = rng.normal(0, se * 0.3)
            estimates.append({"outcome": outcome, "estimator": "cs", "type": "dynamic", "term": f"e{e}",
                              "group": np.nan, "period": np.nan, "event_time": e, "estimate": effect + noise,
                              "std_error": se * 1.4, "conf_low": effect + noise - 1.96 * se * 1.4,
                              "conf_high": effect + noise + 1.96 * se * 1.4, "conf_low_simul": np.nan,
                              "conf_high_simul": np.nan, "p_value": np.nan, "n": 30, "inference": "wild"})
        estimates.append({"outcome": outcome, "estimator": "cs", "type": "simple", "term": "ATT", "group": np.nan,
                          "period": np.nan, "event_time": np.nan, "estimate": est, "std_error": se, "conf_low": lo,
                          "conf_high": hi, "conf_low_simul": np.nan, "conf_high_simul": np.nan, "p_value": 0.01,
                          "n": 30, "inference": "wild"})
        headline.append({"outcome": outcome, "unit": "unit-month", "estimator": "cs", "estimate": est, "std_error": se,
                         "conf_low": lo, "conf_high": hi, "p_value": 0.01, "n_units": 30, "n_adopted": 22,
                         "baseline_mean": base, "inference": "wild", "inference_reason": "30 clusters (< 50)",
                         "twfe_estimate": twfe, "true_att": est * 1.05, "covers_truth": True})
        pretrend.append({"outcome": outcome, "W": 14.2 if flag else 6.1, "df": 11, "p_value": p, "flag": flag})
        for m in (0.0, 0.5, 1.0, 1.5, 2.0):
            width = se * 1.96 * (1 + 0.5 * m)
            bounds.append({"outcome": outcome, "method": "relative_magnitudes", "M": m, "lb": est - width,
                           "ub": est + width, "breakdown": np.nan})
        for check, shift in (("notyettreated", 0.9), ("anticipation_1", 1.1), ("drop_largest_unit", 0.8)):
            robust.append({"outcome": outcome, "check": check, "estimate": est * shift, "conf_low": lo * shift,
                           "conf_high": hi * shift})
        for i, (cg, em) in enumerate([(c, m) for c in ("nevertreated", "notyettreated") for m in ("dr", "ipw", "reg")]):
            shift = 1 + 0.15 * (i - 2.5) / 2.5
            spec.append({"outcome": outcome, "control_group": cg, "est_method": em, "covariates": "none",
                         "anticipation": 0, "estimate": est * shift, "conf_low": lo * shift, "conf_high": hi * shift})
        bacon.append({"outcome": outcome, "comparison": "earlier_vs_later", "weight": 0.3, "estimate": twfe})
    save_table(pd.DataFrame(estimates), "estimates", run, notebook=nb)
    save_table(pd.DataFrame(headline), "headline", run, notebook=nb)
    save_table(pd.DataFrame(bacon), "bacon", run, notebook=nb)
    save_table(pd.DataFrame(pretrend), "pretrend", run, notebook=nb)
    save_table(pd.DataFrame(bounds), "honest_bounds", run, notebook=nb)
    save_table(pd.DataFrame(robust), "robustness", run, notebook=nb)
    save_table(pd.DataFrame(spec), "spec_curve", run, notebook=nb)
    save_table(pd.DataFrame({
        "outcome": "ikm", "dimension": "unit_type", "level": ["disdukcapil", "kecamatan", "kelurahan", "puskesmas", "school"],
        "estimate": [4.1, 2.2, 3.6, 2.9, 3.0], "conf_low": [0.2, -2.9, 1.0, -0.4, 0.9],
        "conf_high": [8.0, 7.3, 6.2, 6.2, 5.1], "n_units": [1, 1, 7, 3, 18]}), "heterogeneity", run, notebook=nb)
    save_table(pd.DataFrame({"estimate": [0.152], "conf_low": [0.081], "conf_high": [0.223]}), "training_channel", run,
               notebook=nb)
    save_table(pd.DataFrame({"outcome": "ikm", "feature": ["baseline_staff", "distance_km"], "importance": [0.6, 0.4],
                             "r2_out_of_fold": [0.12, 0.12]}), "effect_predictors", run, notebook=nb)

    # the notebooks' own figures, labelled in the run's language (as 02/03 draw them)
    word = {"id": ("Unit yang menerapkan", "Bulan sejak penerapan"), "en": ("Adopting units", "Months since adoption")}
    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.step(range(36), np.minimum(22, np.arange(36) // 6 * 5), where="post")
    ax.set_ylabel(word[language][0])
    save_figure(fig, "adoption_timeline", run, notebook=nb)
    plt.close(fig)
    for outcome in HEADLINE:
        frame = pd.DataFrame([e for e in estimates if e["outcome"] == outcome and e["type"] == "dynamic"])
        fig, ax = plt.subplots(figsize=(6, 2.8))
        ax.errorbar(frame["event_time"], frame["estimate"],
                    yerr=[frame["estimate"] - frame["conf_low"], frame["conf_high"] - frame["estimate"]], fmt="o")
        ax.axhline(0, color="black")
        ax.set_xlabel(word[language][1])
        save_figure(fig, f"event_study_{outcome}", run, notebook=nb)
        plt.close(fig)

    manifest = {
        "run_id": RUN_ID, "status": "running", "started_at": "2026-01-15T08:30:00+00:00", "finished_at": None,
        "duration_seconds": None, "parameters": params, "parameters_changed": changed, "data_source": "synthetic",
        "inputs": {"raw_dir": "data/raw", "sha256": {"roster_2024.xlsx": "9f" * 32}},
        "git": {"commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "dirty": False},
        "steps": [{"name": s, "notebook": f"notebooks/{s}.ipynb", "status": "complete", "seconds": 3.2}
                  for s in ("01_clean", "02_describe", "03_estimate", "04_robustness", "05_heterogeneity")]
                 + [{"name": "brief", "notebook": "reports/brief.ipynb", "status": "running"}],
    }
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return run


def set_value(run: Path, table: str, outcome: str, column: str, value) -> None:
    """Change one cell of a result table in place (Parquet and CSV), as a re-run would."""
    frame = pd.read_parquet(run / "tables" / f"{table}.parquet")
    frame.loc[frame["outcome"] == outcome, column] = value
    save_table(frame, table, run, notebook="fixture")
