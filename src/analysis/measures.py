"""Outcome measures, each following its Indonesian standard (see docs/codebook.md).

- IKM, PermenPANRB 14/2017: NRR per element = mean score; IKM = sum(NRR_i / 9) x 25
  in [25, 100]; mutu A-D with half-open cut points (the published intervals
  leave gaps such as 76.60-76.61); sample adequacy by Krejcie-Morgan.
- SKP predikat, PermenPANRB 6/2022: 3x3 matrix of hasil kerja x perilaku
  (unofficial public version; pass another matrix to change it).
- Queue times in minutes, priority services finished within 60 minutes of issue.
- Training coverage and disease incidence per 10,000.

Functions take plain arrays / frames so the panels (DuckDB) and tests share one
definition; the panel SQL is checked against these in tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.schemas import GOOD_PREDIKAT, KINERJA, MUTU

ELEMENTS = tuple(f"u{i}" for i in range(1, 10))
#: Lower bounds of the IKM bands (converted 25-100 scale), half-open [lo, next lo).
IKM_CUTS = (65.0, 76.61, 88.31)
MUTU_OF_BAND = ("D", "C", "B", "A")
KINERJA_OF_MUTU = dict(zip(MUTU, KINERJA))

SKP_MATRIX: dict[tuple[str, str], str] = {
    ("di_atas", "di_atas"): "Sangat Baik",
    ("di_atas", "sesuai"): "Baik",
    ("di_atas", "di_bawah"): "Kurang",
    ("sesuai", "di_atas"): "Baik",
    ("sesuai", "sesuai"): "Baik",
    ("sesuai", "di_bawah"): "Kurang",
    ("di_bawah", "di_atas"): "Butuh Perbaikan",
    ("di_bawah", "sesuai"): "Butuh Perbaikan",
    ("di_bawah", "di_bawah"): "Sangat Kurang",
}

PRIORITY_TARGET_MINUTES = 60.0
#: An SKP appraisal is on time when submitted within this many days after its period's last day
#: (the e-Kinerja monthly deadline, the 5th of the next month).
SKP_ONTIME_DAYS = 5


# ----------------------------------------------------------------- IKM / SKM
def krejcie_morgan(population, chi2: float = 3.841, p: float = 0.5, d: float = 0.05):
    """Required sample size S for population N (rounded half up, as in the published table).

    N=100 -> 80, N=1000 -> 278, N -> infinity -> 384. Accepts scalars or arrays.
    """
    n = np.asarray(population, dtype="float64")
    s = chi2 * n * p * (1 - p) / (d**2 * (n - 1) + chi2 * p * (1 - p))
    out = np.floor(s + 0.5).astype("int64")
    return int(out) if out.ndim == 0 else out


def ikm_from_nrr(nrr) -> np.ndarray | float:
    """IKM on the 25-100 scale from NRR of the nine elements (last axis)."""
    arr = np.asarray(nrr, dtype="float64")
    out = arr.sum(axis=-1) / len(ELEMENTS) * 25.0
    return float(out) if out.ndim == 0 else out


def respondent_ikm(scores: pd.DataFrame) -> pd.Series:
    """A respondent's converted score: mean of U1-U9 x 25 (the IKM of a sample of one)."""
    return scores[list(ELEMENTS)].mean(axis=1) * 25.0


def mutu(ikm):
    """Mutu A-D from IKM (25-100) with half-open bands [25,65) D, [65,76.61) C, [76.61,88.31) B, [88.31,100] A."""
    arr = np.asarray(ikm, dtype="float64")
    idx = np.searchsorted(np.asarray(IKM_CUTS), arr, side="right")
    labels = np.array(MUTU_OF_BAND, dtype=object)[idx]
    labels = np.where(np.isnan(arr), None, labels)
    return labels.item() if labels.ndim == 0 else labels


def kinerja(mutu_label):
    if isinstance(mutu_label, str) or mutu_label is None:
        return KINERJA_OF_MUTU.get(mutu_label)
    return np.array([KINERJA_OF_MUTU.get(m) for m in mutu_label], dtype=object)


def ikm_table(responses: pd.DataFrame, by: list[str], population: pd.Series | None = None) -> pd.DataFrame:
    """NRR per element, IKM, mutu, kinerja and sample adequacy per group.

    ``population`` (indexed like the groups) is the Krejcie-Morgan N; without it
    ``required_n`` and ``meets_sample`` are left out.
    """
    g = responses.groupby(by, sort=True, observed=True)
    out = g[list(ELEMENTS)].mean().rename(columns={e: f"nrr_{e}" for e in ELEMENTS})
    out.insert(0, "n", g.size().astype("int64"))
    return ikm_from_means(out, population).reset_index()


def ikm_from_means(out: pd.DataFrame, population: pd.Series | None = None) -> pd.DataFrame:
    """:func:`ikm_table` from its groups' ``n`` and ``nrr_u1..u9`` (indexed by group): what an engine that
    aggregated the responses (the panels' SQL) hands over, so the rules above have one definition."""
    out = out.copy()
    out["ikm"] = ikm_from_nrr(out[[f"nrr_{e}" for e in ELEMENTS]].to_numpy())
    out["mutu"] = pd.Series(mutu(out["ikm"].to_numpy()), index=out.index, dtype="str")
    out["kinerja"] = pd.Series(kinerja(out["mutu"].to_numpy()), index=out.index, dtype="str")
    if population is not None:
        pop = population.reindex(out.index)
        req = pd.Series(krejcie_morgan(pop.fillna(0).to_numpy()), index=out.index)
        out.insert(1, "required_n", req.where(pop.notna()).astype("Int64"))
        out.insert(2, "meets_sample", (out["n"] >= out["required_n"]).astype("boolean"))
    return out


# ----------------------------------------------------------------- queues
def minutes_between(start, end) -> np.ndarray:
    """Elapsed minutes ``end - start`` (NaN where either is missing)."""
    delta = pd.to_datetime(pd.Series(end)).to_numpy() - pd.to_datetime(pd.Series(start)).to_numpy()
    return delta.astype("timedelta64[ms]").astype("float64") / 60_000.0


def waiting_minutes(issued, called) -> np.ndarray:
    return minutes_between(issued, called)


def service_minutes(served, finished) -> np.ndarray:
    return minutes_between(served, finished)


def within_target(issued, finished, priority, target: float = PRIORITY_TARGET_MINUTES) -> float:
    """Share of priority tickets finished within ``target`` minutes of issue (NaN if none)."""
    prio = np.asarray(priority, dtype=bool)
    if not prio.any():
        return float("nan")
    total = minutes_between(issued, finished)[prio]
    return float(np.mean(total <= target))


# ----------------------------------------------------------------- SKP
def skp_predikat(hasil_kerja, perilaku, matrix: dict[tuple[str, str], str] | None = None) -> np.ndarray:
    m = matrix or SKP_MATRIX
    return np.array([m[(h, p)] for h, p in zip(hasil_kerja, perilaku)], dtype=object)


def predikat_shares(skp: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share of each predikat per group plus ``good_share`` (Baik or Sangat Baik)."""
    counts = pd.crosstab([skp[c] for c in by], skp["predikat"])
    shares = counts.div(counts.sum(axis=1), axis=0)
    shares["good_share"] = shares.reindex(columns=list(GOOD_PREDIKAT), fill_value=0).sum(axis=1)
    return shares.reset_index()


# ----------------------------------------------------------------- training, health
def training_coverage(asn: pd.DataFrame, training: pd.DataFrame, unit_id: str, as_of) -> float:
    """Share of the unit's ASN active on ``as_of`` who started any training on or before it."""
    as_of = pd.Timestamp(as_of)
    staff = asn.loc[(asn["unit_id"] == unit_id) & (asn["active_from"] <= as_of), "asn_id"]
    if staff.empty:
        return float("nan")
    trained = training.loc[training["start_date"] <= as_of, "asn_id"]
    return float(staff.isin(trained).mean())


def incidence_per_10k(cases, population) -> np.ndarray:
    return np.asarray(cases, dtype="float64") / np.asarray(population, dtype="float64") * 10_000.0
