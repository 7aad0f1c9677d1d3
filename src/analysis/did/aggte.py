"""Aggregations of ATT(g,t) (R ``did``'s ``aggte`` / ``compute.aggte``).

* ``simple``: post-treatment ATT(g,t) averaged with weights proportional to cohort
  size;
* ``group``: per cohort, the mean of its post-treatment ATT(g,t); overall, the
  cohort-size weighted mean of those;
* ``dynamic``: per event time e = t - g, the cohort-size weighted mean of ATT(g,g+e)
  (optionally on a cohort-balanced sample, ``balance_e``); overall, the mean over
  e >= 0;
* ``calendar``: per period t, the cohort-size weighted mean of ATT(g,t) over the
  cohorts treated by t; overall, the mean over periods.

Standard errors come from the aggregated influence function, which includes the
estimation of the cohort-size weights (R's ``wif``). Bootstrap standard errors and
simultaneous bands use the same multiplier bootstrap as ``att_gt``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.did._checks import NotEstimableError
from analysis.did.attgt import _SE_TOL, ATTgtResult, _checked_crit, _single_blas_thread
from analysis.did.bootstrap import cluster_sums, draw_stats
from analysis.did.results import DiDResult, conform_tidy

_TYPES = ("simple", "group", "calendar", "dynamic")


@dataclass(repr=False, eq=False)
class AggteResult(DiDResult):
    """An aggregation: ``overall_att``/``overall_se`` plus ``egt``/``att_egt``/``se_egt``.

    ``inf_egt`` (n x len(egt)) and ``inf_overall`` (n,) are the influence functions.
    """

    type: str = ""
    overall_att: float = float("nan")
    overall_se: float = float("nan")
    egt: np.ndarray | None = None
    att_egt: np.ndarray | None = None
    se_egt: np.ndarray | None = None
    crit_val_egt: float = float("nan")
    inf_egt: np.ndarray | None = None
    inf_overall: np.ndarray | None = None

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()


def _wif_coef(which: np.ndarray, pg: np.ndarray, grp_idx: np.ndarray, a: np.ndarray, n_groups: int) -> np.ndarray:
    """Coefficients ``c`` such that ``wif @ a[which] = weights_ind * c[cohort index]``.

    R's ``wif`` is the (n x |which|) influence function of the estimated weights
    ``pg[which] / sum(pg[which])``; only its product with the ATTs is ever needed,
    and that product depends on a unit only through its cohort and weight:
    ``w_i * (A[G_i] - cnt[G_i] * (pk'a)/s) / s`` with ``A``/``cnt`` the sum/count of
    the selected ATTs per cohort. Slot ``n_groups`` (units in no cohort) is zero.
    """
    pk = pg[which]
    s = pk.sum()
    pa = pk @ a[which]
    gi = grp_idx[which]
    A = np.bincount(gi, weights=a[which], minlength=n_groups + 1)
    cnt = np.bincount(gi, minlength=n_groups + 1)
    c = (A - cnt * pa / s) / s
    c[n_groups] = 0.0
    return c


@dataclass
class AggPlan:
    """An aggregation as linear maps of the ATT(g,t): every parameter (columns; the last is
    the overall one) is ``att[kept] @ Wk`` and its influence function is
    ``inffunc[:, kept] @ Wk + w_i * Cm[cohort index of unit i]`` (``Cm`` row ``len(glist)``:
    units in no aggregated cohort, zero)."""

    kept: np.ndarray
    glist: np.ndarray
    Wk: np.ndarray
    Cm: np.ndarray
    egt: np.ndarray | None
    att_egt: np.ndarray | None
    overall: float


def _cohort_mass(G: np.ndarray, w: np.ndarray) -> dict[float, float]:
    """Summed unit weights per cohort value."""
    vals, inv = np.unique(G, return_inverse=True)
    return dict(zip(vals.tolist(), np.bincount(inv, weights=w, minlength=len(vals)).tolist()))


def plan_aggregation(group, t, att, cohort_mass: dict, n_units: int, type: str, *,  # noqa: A002
                     min_e: float, max_e: float, balance_e, na_rm: bool, tmin: float) -> AggPlan:
    """Which ATT(g,t) an aggregation uses and with which weights (R ``compute.aggte``).

    ``cohort_mass`` maps a cohort to its summed unit weights; ``n_units`` normalises
    the cohort shares. Shared by :func:`aggte` and the streamed estimator, which
    needs the weights before it sees any unit's influence function.
    """
    group = np.asarray(group, dtype=float)
    t = np.asarray(t, dtype=float)
    att = np.asarray(att, dtype=float)
    kept = np.arange(len(att))  # positions of the cells used, in res's cell order
    nan_cells = ~np.isfinite(att)
    if nan_cells.any():
        if not na_rm:
            raise ValueError(
                f"{int(nan_cells.sum())} ATT(g,t) are NaN (see the att_gt warnings); set na_rm=True to aggregate "
                "without them"
            )
        kept = np.flatnonzero(~nan_cells)
        if len(kept) == 0:
            raise NotEstimableError("All ATT(g,t) are NaN")
    glist = np.unique(group[kept])
    if type == "group" and na_rm:
        # Cohorts with no post-treatment estimate left are dropped entirely.
        gk, tk = group[kept], t[kept]
        has_post = np.array([np.any((gk == g) & (tk >= g) & (tk <= g + max_e)) for g in glist])
        glist = glist[has_post]
        kept = kept[np.isin(gk, glist)]
    group, t, att = group[kept], t[kept], att[kept]
    n_g = len(glist)

    cell_gidx = np.searchsorted(glist, group)
    # Cohort shares; the normalisation cancels in every ratio, so overall means suffice.
    pgg = np.array([cohort_mass.get(float(g), 0.0) for g in glist]) / n_units
    pg = pgg[cell_gidx]
    event = t - group

    # Each aggregated parameter is sum_j v_j ATT(g_j, t_j) with cohort-share weights v;
    # its influence function is inffunc @ v plus, when the weights are estimated, the
    # weights' own influence (R's wif), which is weights_ind * c[cohort]. Parameters
    # are kept as columns of Wk (cell weights, kept cells) and Cm (cohort coefficients):
    # the IF matrix and the bootstrap draws are both linear maps of (Wk, Cm).
    cols_w: list[np.ndarray] = []
    cols_c: list[np.ndarray] = []
    estimates: list[float] = []

    def add(which: np.ndarray, with_wif: bool = True) -> None:
        v = pg[which] / pg[which].sum()
        wcol = np.zeros(len(kept))
        wcol[which] = v
        cols_w.append(wcol)
        cols_c.append(_wif_coef(which, pg, cell_gidx, att, n_g) if with_wif else np.zeros(n_g + 1))
        estimates.append(float(att[which] @ v))

    def combine(weights: np.ndarray, extra_c: np.ndarray | None = None) -> None:
        """Append a parameter that is ``weights @`` the egt parameters (+ its own wif)."""
        Wk, Cm = np.column_stack(cols_w), np.column_stack(cols_c)
        cols_w.append(Wk @ weights)
        cols_c.append(Cm @ weights + (0 if extra_c is None else extra_c))

    if type in ("simple", "group") and (np.isfinite(min_e) or balance_e is not None):
        warnings.warn(f"min_e and balance_e are ignored for type='{type}' (as in R did); max_e applies",
                      UserWarning, stacklevel=4)
    egt = att_egt = None
    if type == "simple":
        keepers = np.flatnonzero((group <= t) & (event <= max_e))
        if len(keepers) == 0:
            raise NotEstimableError("No post-treatment ATT(g,t) in the requested window")
        add(keepers)
        overall = estimates[0]
    elif type == "group":
        in_win = (group <= t) & (event <= max_e)
        for g in glist:
            which = np.flatnonzero((group == g) & in_win)
            if len(which) == 0:
                raise NotEstimableError(f"No post-treatment ATT(g,t) for cohort {g:g} in the requested window")
            add(which, with_wif=False)  # equal weights within a cohort: nothing estimated
        egt, att_egt = glist, np.array(estimates)
        w = pgg / pgg.sum()
        overall = float(att_egt @ w)
        allg = np.arange(n_g)
        combine(w, _wif_coef(allg, pgg, allg, att_egt, n_g))
    elif type == "dynamic":
        include = np.ones(len(group), dtype=bool)
        eseq = np.unique(event)
        if balance_e is not None:
            tmax = t.max()
            include = (tmax - group) >= balance_e
            eseq = np.unique(event[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tmax + tmin)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        if len(eseq) == 0:
            raise NotEstimableError("No event times in the requested window (min_e, max_e, balance_e)")
        for e in eseq:
            add(np.flatnonzero((event == e) & include))
        egt, att_egt = eseq, np.array(estimates)
        epos = eseq >= 0
        if not epos.any():
            warnings.warn("No event time >= 0 in the window: the overall dynamic effect is NaN", UserWarning,
                          stacklevel=4)
            overall = float("nan")
            combine(np.full(len(eseq), np.nan))
        else:
            overall = float(att_egt[epos].mean())
            combine(epos / epos.sum())
    else:  # calendar
        if np.isfinite(min_e) or np.isfinite(max_e) or balance_e is not None:
            warnings.warn("min_e, max_e and balance_e are ignored for type='calendar'", UserWarning, stacklevel=4)
        tcal = np.unique(t[(t >= group.min()) & (group <= t)])
        if len(tcal) == 0:
            raise NotEstimableError("No calendar period has a post-treatment ATT(g,t)")
        for tt in tcal:
            add(np.flatnonzero((t == tt) & (group <= t)))
        egt, att_egt = tcal, np.array(estimates)
        overall = float(att_egt.mean())
        combine(np.full(len(tcal), 1.0 / len(tcal)))

    return AggPlan(kept=kept, glist=glist, Wk=np.column_stack(cols_w), Cm=np.column_stack(cols_c), egt=egt,
                   att_egt=att_egt, overall=overall)


def aggte(
    res: ATTgtResult,
    type: str = "group",  # noqa: A002 - R did's argument name
    *,
    min_e: float = -math.inf,
    max_e: float = math.inf,
    balance_e: int | None = None,
    na_rm: bool = False,
    bstrap: bool | None = None,
    biters: int | None = None,
    cband: bool | None = None,
    alp: float | None = None,
    clustervars: str | None = None,
    seed: int | None = None,
) -> AggteResult:
    """Aggregate ATT(g,t) into simple / group / calendar / dynamic effects (R ``did::aggte``).

    Inference settings default to those of ``res``. ``clustervars`` can only repeat
    (or drop, with ``idname``) the clustering used in ``att_gt``, which fixed the
    unit-to-cluster map. With the bootstrap, aggregations reuse the multipliers of
    ``res`` (same seed), so they are consistent with its cell-level bands.
    """
    with _single_blas_thread(res.n if isinstance(res, ATTgtResult) else 0):
        return _aggte(res, type, min_e=min_e, max_e=max_e, balance_e=balance_e, na_rm=na_rm, bstrap=bstrap,
                      biters=biters, cband=cband, alp=alp, clustervars=clustervars, seed=seed)


def _aggte(res, type, *, min_e, max_e, balance_e, na_rm, bstrap, biters, cband, alp, clustervars,  # noqa: A002
           seed) -> AggteResult:
    """The body of :func:`aggte` (arguments as documented there)."""
    if not isinstance(res, ATTgtResult) or res.inffunc is None:
        raise TypeError("aggte needs the ATTgtResult returned by att_gt (with influence functions)")
    if type not in _TYPES:
        raise ValueError(f"type must be one of {_TYPES}, got {type!r}")
    p = res.params
    bstrap = p["bstrap"] if bstrap is None else bool(bstrap)
    biters = p["biters"] if biters is None else int(biters)
    cband = p["cband"] if cband is None else bool(cband)
    alp = p["alp"] if alp is None else float(alp)
    seed = p.get("seed") if seed is None else seed
    if not 0 < alp < 1:
        raise ValueError("alp must be strictly between 0 and 1")
    if balance_e is not None and (int(balance_e) != balance_e or balance_e < 0):
        raise ValueError("balance_e must be a non-negative whole number")
    cluster = res.cluster
    if clustervars is not None:
        cv = [clustervars] if isinstance(clustervars, str) else list(clustervars)
        cv = [c for c in cv if c != p["idname"]]
        if not cv:
            cluster = None
        elif cv != [p.get("clustervars")]:
            raise ValueError(
                f"clustervars={clustervars!r} differs from att_gt's ({p.get('clustervars')!r}); "
                "re-run att_gt with the clustering you need"
            )
    n = res.n
    G = np.asarray(res.unit_group, dtype=float)
    weights_ind = np.asarray(res.unit_weight, dtype=float)
    plan = plan_aggregation(res.group, res.t, res.att, _cohort_mass(G, weights_ind), len(G), type,
                            min_e=min_e, max_e=max_e, balance_e=balance_e, na_rm=na_rm, tmin=float(min(p["tlist"])))
    kept, glist, n_g, Wk, Cm = plan.kept, plan.glist, len(plan.glist), plan.Wk, plan.Cm
    egt, att_egt, overall = plan.egt, plan.att_egt, plan.overall
    # Cohort index per unit (n_g: never treated / not aggregated).
    unit_gidx = np.searchsorted(glist, G)
    unit_gidx[(unit_gidx >= n_g) | (glist[np.minimum(unit_gidx, n_g - 1)] != G)] = n_g
    all_cells = len(kept) == len(res.att)
    # NaN columns of dropped cells must not meet zero weights (NaN * 0 = NaN): index only then.
    lin = res.inffunc @ Wk if all_cells else res.inffunc[:, kept] @ Wk
    allinf = lin + weights_ind[:, None] * Cm[unit_gidx]
    S = cluster_sums(allinf, cluster)
    se_all = np.sqrt(np.einsum("ij,ij->j", S, S)) / n
    se_all[~np.isfinite(se_all) | (se_all <= _SE_TOL)] = np.nan
    n_egt = 0 if egt is None else len(egt)
    crit = float(norm.ppf(1 - alp / 2))
    crit_simul = np.nan
    if bstrap or (cband and n_egt):
        # Same multipliers as att_gt's bootstrap: draws are linear in (Wk, Cm).
        D = res.bootstrap_draws(biters=biters, seed=seed, weights=p.get("boot_weights", "rademacher"),
                                clustered=cluster is not None)
        ncell = len(res.att)
        Ccoh = np.zeros((len(res.cohorts), Cm.shape[1]))
        Ccoh[np.searchsorted(res.cohorts, glist)] = Cm[:n_g]
        draws = D[:, :ncell][:, kept] @ Wk + D[:, ncell:] @ Ccoh
        if bstrap:
            se_all = np.where(np.isfinite(se_all), draw_stats(draws, alp=alp, n=n).se, np.nan)
        if cband and n_egt:
            if not bstrap:
                warnings.warn("Used the multiplier bootstrap to compute the simultaneous confidence band",
                              UserWarning, stacklevel=2)
            crit_simul = _checked_crit(draw_stats(draws[:, :n_egt], alp=alp, n=n).crit_val, alp)
    params = dict(p)
    params.update(type=type, min_e=min_e, max_e=max_e, balance_e=balance_e, na_rm=na_rm, bstrap=bstrap,
                  biters=biters, cband=cband, alp=alp, seed=seed)
    return aggte_result(type, plan, se_all, crit_simul, alp=alp, n=n, params=params, allinf=allinf)


def aggte_result(type: str, plan: AggPlan, se_all: np.ndarray, crit_simul: float, *, alp: float, n: int,  # noqa: A002
                 params: dict, allinf: np.ndarray | None = None) -> AggteResult:
    """The :class:`AggteResult` of ``plan`` with standard errors ``se_all`` (egt parameters, then overall)."""
    egt, att_egt, overall = plan.egt, plan.att_egt, plan.overall
    n_egt = 0 if egt is None else len(egt)
    crit = float(norm.ppf(1 - alp / 2))
    overall_se = float(se_all[-1])
    se_egt = se_all[:-1] if n_egt else None
    inf_egt = allinf[:, :n_egt] if (n_egt and allinf is not None) else None
    inf_overall = allinf[:, -1] if allinf is not None else None

    rows = []
    if egt is not None:
        lab = {"group": "group", "dynamic": "event_time", "calendar": "period"}[type]
        for e, a, s in zip(egt, att_egt, se_egt):
            rows.append({
                "type": type,
                "term": f"{lab}={e:g}",
                "group": e if type == "group" else np.nan,
                "period": e if type == "calendar" else np.nan,
                "event_time": e if type == "dynamic" else np.nan,
                "estimate": a, "std_error": s,
                "conf_low": a - crit * s, "conf_high": a + crit * s,
                "conf_low_simul": a - crit_simul * s, "conf_high_simul": a + crit_simul * s,
            })
    rows.append({"type": type, "term": "overall", "estimate": overall, "std_error": overall_se,
                 "conf_low": overall - crit * overall_se, "conf_high": overall + crit * overall_se})
    table = pd.DataFrame(rows)
    table["estimator"] = "callaway_santanna"
    table["p_value"] = 2 * norm.sf(np.abs(table["estimate"] / table["std_error"]))
    table["n"] = float(n)
    return AggteResult(
        estimator="callaway_santanna",
        table=conform_tidy(table),
        params=params,
        extra={"crit_val_simul": crit_simul, "n_units": n},
        type=type,
        overall_att=overall,
        overall_se=overall_se,
        egt=egt,
        att_egt=att_egt,
        se_egt=se_egt,
        crit_val_egt=crit_simul,
        inf_egt=inf_egt,
        inf_overall=inf_overall,
    )
