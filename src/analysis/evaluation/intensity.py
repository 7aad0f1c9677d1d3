"""Effects by uptake and by readiness: is the effect larger where KPI management is used?

Each adopting unit gets two scores from :mod:`analysis.uptake`'s measures (mean of the
on-time SKP share and the appraised share):

* ``readiness``: over the ``READINESS_MONTHS`` months before adoption. Measured before
  treatment, so splitting by it is a clean comparison of units that were more or less
  ready;
* ``uptake``: over the months from adoption on. Measured *after* adoption, it is partly
  an outcome of adoption itself, so effects by uptake describe where the reform worked,
  not what raising uptake would cause (the post-treatment caveat, printed with the table).

Adopters are split into terciles of each score (low/middle/high); every subgroup keeps
all never-adopting (or not-yet-adopted) units as its comparison. The gradient is the
high-minus-low difference of the two terciles' overall effects, with the standard error
``sqrt(se_high^2 + se_low^2)`` (the terciles share their comparison units, so this is
an approximation; it ignores their positive covariance and so errs wide).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.evaluation.estimate import Spec
from analysis.evaluation.heterogeneity import SUBGROUP_COLUMNS, _subgroup_row
from analysis.evaluation.panel import GNAME, IDNAME, OutcomePanel

READINESS_MONTHS = 6
SCORE_MEASURES = ("ontime_share", "appraised_share")
TERCILES = ("low", "middle", "high")
CAVEAT = {"uptake": "uptake is measured after adoption (post-treatment): a description of where effects were "
                    "larger, not the effect of raising uptake",
          "readiness": "readiness is measured before adoption"}


def unit_scores(uptake_panel: pd.DataFrame) -> pd.DataFrame:
    """Per adopting unit: ``readiness`` (pre-adoption) and ``uptake`` (post-adoption) scores, their terciles,
    and ``n_asn`` (median active ASN, the group size behind the shares)."""
    d = uptake_panel[uptake_panel[GNAME] > 0].copy()
    d["score"] = d[list(SCORE_MEASURES)].mean(axis=1, skipna=True)
    post = d[d["period"] >= d[GNAME]].groupby(IDNAME)["score"].mean().rename("uptake")
    pre = d[(d["period"] < d[GNAME]) & (d["period"] >= d[GNAME] - READINESS_MONTHS)]
    pre = pre.groupby(IDNAME)["score"].mean().rename("readiness")
    staff = d.groupby(IDNAME)["n_asn"].median().rename("n_asn")  # group size behind the shares (disclosure)
    out = pd.concat([pre, post, staff], axis=1).reset_index().rename(columns={"index": IDNAME})
    for col in ("readiness", "uptake"):
        ok = out[col].notna()
        out.loc[ok, f"{col}_tercile"] = _terciles(out.loc[ok, col])
    return out


def _terciles(values: pd.Series) -> np.ndarray:
    ranks = values.rank(method="first").to_numpy()
    n = len(values)
    return np.array(TERCILES, dtype=object)[np.minimum((3 * (ranks - 1) // n).astype(int), 2)]


def by_tercile(panel: OutcomePanel, spec: Spec, scores: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Overall effect within each tercile of ``dimension`` (readiness/uptake); comparisons shared."""
    level = panel.data[IDNAME].map(scores.set_index(IDNAME)[f"{dimension}_tercile"])
    comparison = panel.data[GNAME] == 0
    rows = []
    for tercile in TERCILES:
        part = panel.data[(level == tercile).to_numpy() | comparison.to_numpy()]
        rows.append(_subgroup_row(panel, spec, part, dimension, tercile))
    out = pd.DataFrame(rows).reindex(columns=SUBGROUP_COLUMNS)
    out["caveat"] = CAVEAT[dimension]
    return out


def gradient(terciles: pd.DataFrame, alp: float = 0.05) -> pd.DataFrame:
    """High-minus-low tercile difference per outcome and dimension, with its approximate interval."""
    rows = []
    z = float(norm.ppf(1 - alp / 2))
    for (outcome, dimension), part in terciles.groupby(["outcome", "dimension"], sort=True):
        t = part.set_index("level")
        if not {"high", "low"} <= set(t.index) or t.loc[["high", "low"], "estimate"].isna().any():
            continue
        est = float(t.loc["high", "estimate"] - t.loc["low", "estimate"])
        se = float(np.hypot(t.loc["high", "std_error"], t.loc["low", "std_error"]))
        rows.append(dict(outcome=outcome, dimension=dimension, estimate=est, std_error=se,
                         conf_low=est - z * se, conf_high=est + z * se, p_value=float(2 * norm.sf(abs(est / se))),
                         caveat=CAVEAT[dimension]))
    return pd.DataFrame(rows, columns=["outcome", "dimension", "estimate", "std_error", "conf_low", "conf_high",
                                       "p_value", "caveat"])
