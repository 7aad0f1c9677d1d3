"""Callaway and Sant'Anna (2021) group-time average treatment effects, ATT(g,t).

``att_gt`` follows R ``did``'s ``att_gt`` (validate -> compute -> result holding
every input): for every treated cohort ``g`` and period ``t`` it compares the
outcome change of cohort ``g`` between a base period and ``t`` with that of a
comparison group (never treated, or not yet treated by ``max(t, base) +
anticipation``), by outcome regression, normalised IPW or the doubly robust
estimator of Sant'Anna and Zhao (2020). Base period: ``"varying"`` uses ``t - 1``
before treatment (short differences) and the last untreated period ``g - 1 -
anticipation`` after; ``"universal"`` always uses ``g - 1 - anticipation``.

Data layouts, as in R ``did``:

* balanced panel (``panel=True``): reshaped once to unit x period arrays; each cell
  is a 2x2 panel estimator on units of cohort g plus comparison units; covariates
  and weights are taken from the earlier period of the pair (the base period after
  treatment), like ``BMisc::panel2cs2``;
* unbalanced panel (``allow_unbalanced_panel=True``): repeated-cross-section
  estimators on the observed rows, influence functions summed within unit;
* repeated cross-sections (``panel=False``): every row is its own observation.

Each ATT(g,t) comes with its influence function; all of them form an
``(n_units x n_cells)`` array from which analytic standard errors, clustering, the
multiplier bootstrap, the pre-trend Wald test and every aggregation are derived.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm
from threadpoolctl import ThreadpoolController

from analysis.did import _cs_estimators as est
from analysis.did._checks import Prepared, prepare, validate_args
from analysis.did.bootstrap import cluster_sums, draw_stats, multiplier_draws
from analysis.did.results import DiDResult, conform_tidy

_SE_TOL = np.sqrt(np.finfo(float).eps) * 10


class DiDCellWarning(UserWarning):
    """An ATT(g,t) cell could not be estimated and is reported as NaN."""


@dataclass(repr=False, eq=False)
class ATTgtResult(DiDResult):
    """Group-time ATTs with their influence functions.

    Array attributes (one entry per ATT(g,t) cell, in ``tidy()`` row order):
    ``group``, ``t``, ``att``, ``se``; ``inffunc`` is ``(n_units x n_cells)``.
    Unit-level attributes (row order of ``inffunc``): ``unit_group`` (cohort),
    ``unit_weight`` (sampling weight used for aggregation weights), ``cluster``
    (integer cluster codes or None). ``pretest`` is the Wald pre-trend test.
    """

    group: np.ndarray | None = None
    t: np.ndarray | None = None
    att: np.ndarray | None = None
    se: np.ndarray | None = None
    inffunc: np.ndarray | None = field(default=None)
    n: int = 0
    unit_group: np.ndarray | None = None
    unit_weight: np.ndarray | None = None
    cluster: np.ndarray | None = None
    crit_val: float = float("nan")
    _vcov: np.ndarray | None = field(default=None, repr=False)
    _boot_cache: dict = field(default_factory=dict, repr=False)
    _boot_seed: int | None = field(default=None, repr=False)
    #: 64-bit keys of the units (and clusters) for ``boot_draws="unit_keyed"``
    unit_keys: np.ndarray | None = field(default=None, repr=False)
    cluster_keys: np.ndarray | None = field(default=None, repr=False)

    @property
    def cohorts(self) -> np.ndarray:
        """Cohorts with ATT(g,t) cells, sorted (the cohort columns of :meth:`bootstrap_draws`)."""
        return np.unique(self.group)

    def bootstrap_draws(self, *, biters: int, seed=None, weights: str = "rademacher", clustered: bool = True) -> np.ndarray:
        """Multiplier-bootstrap draws shared by ``att_gt`` and every ``aggte`` call.

        Returns ``(biters x (n_cells + n_cohorts))`` draws of ``(1/n) sum_i V_i psi_i``:
        the first ``n_cells`` columns bootstrap the ATT(g,t) influence functions, the
        others the cohort-share indicators ``w_i 1{G_i = g}`` (for ``cohorts``), which
        is all an aggregation's influence function is made of. Reusing the same
        multipliers keeps aggregations consistent with the cell-level bootstrap and
        costs no new random numbers. Cached per (biters, seed, weights, clustering).
        """
        seed = self.params.get("seed") if seed is None else seed
        if seed is None:
            seed = self._boot_seed
        use_cluster = bool(clustered and self.cluster is not None)
        key = (int(biters), seed, weights, use_cluster)
        if key not in self._boot_cache:
            coh = self.cohorts
            cohort_cols = self.unit_weight[:, None] * (self.unit_group[:, None] == coh[None, :])
            keys = None
            if self.params.get("boot_draws") == "unit_keyed":
                keys = self.cluster_keys if use_cluster else self.unit_keys
            self._boot_cache[key] = multiplier_draws(
                (self.inffunc, cohort_cols), biters=int(biters), seed=seed, weights=weights,
                cluster=self.cluster if clustered else None, n=self.n, keys=keys,
            )
        return self._boot_cache[key]

    @property
    def vcov(self) -> np.ndarray:
        """Analytic variance matrix of the ATT(g,t) estimates (cluster-robust if clustered)."""
        if self._vcov is None:
            self._vcov = analytic_vcov(self.inffunc, self.n, self.cluster)
        return self._vcov

    @property
    def pretest(self) -> dict[str, float] | None:
        """Wald test that all pre-treatment ATT(g,t) are zero: ``dict(W, df, p_value)``.

        As R did: cells with ``t < g - anticipation`` and a non-zero variance, their
        analytic covariance (cluster-robust with ``clustervars``) even when the
        standard errors are bootstrapped; ``W = n a' V^-1 a`` ~ chi2(df). None when
        there are no such cells or their covariance is singular (with a warning).
        """
        return self.extra.get("pretest")

    def aggregate(self, type: str = "group", **kwargs) -> "DiDResult":  # noqa: A002 - R did's name
        from analysis.did.aggte import aggte

        return aggte(self, type=type, **kwargs)

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()

    def summary(self) -> str:
        text = super().summary()
        pt = self.pretest
        if pt:
            text += f"\nP-value for pre-test of parallel trends assumption: {pt['p_value']:.5f} (W={pt['W']:.4f}, df={pt['df']})"
        return text


_BLAS: list[ThreadpoolController] = []


def _single_blas_thread(n_units: int):
    """Limit BLAS to one thread on large samples (the controller is built once: it scans /proc)."""
    if n_units < 20_000:
        return contextlib.nullcontext()
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _cell_plan(tlist: np.ndarray, glist: np.ndarray, anticipation: int, base_period: str):
    """Enumerate ATT(g,t) cells as (g, t index, base index, kind) like R compute.att_gt."""
    cells = []
    nT = len(tlist)
    for g in glist:
        pre_idx = np.flatnonzero(tlist + anticipation < g)
        if len(pre_idx) == 0:
            warnings.warn(f"No pre-treatment period for cohort {g}; its units are dropped", DiDCellWarning, stacklevel=3)
            continue
        last_pre = int(pre_idx[-1])
        if base_period == "universal":
            for ti in range(nT):
                kind = "base" if ti == last_pre else "est"
                cells.append((g, ti, last_pre, kind))
        else:
            for ti in range(1, nT):
                base = last_pre if g - anticipation <= tlist[ti] else ti - 1
                cells.append((g, ti, base, "est"))
    return cells


def _cell_warning(g, tn, err) -> None:
    warnings.warn(f"ATT({g:g},{tn:g}) set to NaN: {err}", DiDCellWarning, stacklevel=4)


def _fit_cells(prep: Prepared, *, control_group, anticipation, est_method, base_period):
    tlist, glist = prep.tlist, prep.glist
    nT = len(tlist)
    cells = _cell_plan(tlist, glist, anticipation, base_period)
    ncell = len(cells)
    n = prep.n_units
    tidx_row = np.searchsorted(tlist, prep.t)
    X = prep.X
    k = X.shape[1]
    rc = (not prep.panel) or prep.unbalanced
    if not rc:
        first_row = slice(None, None, nT)
        ug = prep.g[first_row]
        unit_w = prep.w[first_row]
    else:
        ug = np.zeros(n)
        ug[prep.unit] = prep.g
        cnt = np.bincount(prep.unit, minlength=n)
        # R did aggregates unbalanced panels by unit means (weights included).
        unit_w = np.bincount(prep.unit, weights=prep.w, minlength=n) / cnt

    inf = np.zeros((n, ncell), order="F")
    att = np.full(ncell, np.nan)
    n_cell = np.zeros(ncell)
    group = np.array([c[0] for c in cells], dtype=float)
    tt = np.array([tlist[c[1]] for c in cells], dtype=float)
    uses_ps = est_method in ("dr", "ipw")

    def control_mask(gg, g, ti, base):
        if control_group == "nevertreated":
            return gg == 0
        cut = tlist[max(ti, base)] + anticipation
        return (gg == 0) | ((gg > cut) & (gg != g))

    if not rc:
        # Balanced panel: unit x period views of the (unit, period)-sorted rows.
        Y = prep.y.reshape(n, nT)
        W = prep.w.reshape(n, nT)
        X3 = X.reshape(n, nT, k)
        x_const = k == 1 or bool(np.all(X3 == X3[:, :1, :]))
        w_const = bool(np.all(W == W[:, :1]))
        fn = est.PANEL[est_method]
        # Batch the cells that share the comparison sample and the period whose
        # covariates/weights are used (R: the earlier period of the pair).
        batches: dict[Any, list[int]] = {}
        for j, (g, ti, base, kind) in enumerate(cells):
            if kind == "base":
                att[j] = 0.0
                continue
            cut = None if control_group == "nevertreated" else tlist[max(ti, base)]
            early = 0 if (x_const and w_const) else min(ti, base)
            batches.setdefault((g, cut, early), []).append(j)
        for (g, _cut, early), js in batches.items():
            _, ti0, base0, _ = cells[js[0]]
            C = control_mask(ug, g, ti0, base0)
            Gm = ug == g
            sel = np.flatnonzero(Gm | C)
            n1 = len(sel)
            tis = np.array([cells[j][1] for j in js])
            bases = np.array([cells[j][2] for j in js])
            try:
                if not C.any():
                    raise est.CellError("no comparison units")
                D = Gm[sel].astype(float)
                Xc = X3[sel, early, :] if k > 1 else np.ones((n1, 1))
                wc = W[sel, 0 if w_const else early]
                ps = est.logit(D, Xc, wc / wc.mean()) if uses_ps else None
                Ys = Y[sel]
                a, psi = fn(Ys[:, tis] - Ys[:, bases], D, Xc, wc, ps=ps)
            except est.CellError as err:
                for j in js:
                    _cell_warning(g, tlist[cells[j][1]], err)
                    inf[:, j] = np.nan
                continue
            for c, j in enumerate(js):
                if not np.isfinite(a[c]):
                    _cell_warning(g, tlist[cells[j][1]], "non-finite estimate")
                    inf[:, j] = np.nan
                    continue
                att[j] = a[c]
                n_cell[j] = n1
                inf[sel, j] = (n / n1) * psi[:, c]
    else:
        codes = prep.unit
        fn = est.RC[est_method]
        period_rows = [np.flatnonzero(tidx_row == j) for j in range(nT)]
        for j, (g, ti, base, kind) in enumerate(cells):
            if kind == "base":
                att[j] = 0.0
                continue
            tn = tlist[ti]
            try:
                rows = np.concatenate([period_rows[ti], period_rows[base]])
                gr = prep.g[rows]
                rows = rows[(gr == g) | control_mask(gr, g, ti, base)]
                D = (prep.g[rows] == g).astype(float)
                post = (tidx_row[rows] == ti).astype(float)
                for m, what in (
                    (D * post, f"no units of cohort {g:g} in period {tn:g}"),
                    (D * (1 - post), f"no units of cohort {g:g} in the base period {tlist[base]:g}"),
                    ((1 - D) * post, f"no comparison units in period {tn:g}"),
                    ((1 - D) * (1 - post), f"no comparison units in the base period {tlist[base]:g}"),
                ):
                    if not m.any():
                        raise est.CellError(what)
                n1 = len(rows)
                a, psi = fn(prep.y[rows], post, D, X[rows], prep.w[rows])
                if not np.isfinite(a):
                    raise est.CellError("non-finite estimate")
            except est.CellError as err:
                _cell_warning(g, tn, err)
                inf[:, j] = np.nan
                continue
            att[j] = a
            n_cell[j] = n1
            inf[:, j] = np.bincount(codes[rows], weights=(n / n1) * psi, minlength=n)
    return dict(group=group, t=tt, att=att, inf=inf, n=n, unit_group=ug, unit_weight=unit_w, n_cell=n_cell)


def _unit_clusters(prep: Prepared) -> np.ndarray | None:
    if prep.cluster is None:
        return None
    if prep.panel:
        out = np.empty(prep.n_units, dtype=np.int64)
        out[prep.unit] = prep.cluster
        return out
    return prep.cluster


def analytic_vcov(inf: np.ndarray, n: int, cluster: np.ndarray | None, cols: np.ndarray | None = None) -> np.ndarray:
    """``V/n`` with ``V = psi'psi/n`` (or cluster sums ``S'S/n``): the variance of the estimates."""
    S = cluster_sums(inf if cols is None else inf[:, cols], cluster)
    return (S.T @ S) / n / n


def analytic_se(inf: np.ndarray, n: int, cluster: np.ndarray | None) -> np.ndarray:
    """Square roots of the diagonal of :func:`analytic_vcov`, without forming the matrix."""
    S = cluster_sums(inf, cluster)
    ss = np.einsum("ij,ij->j", S, S)
    return np.sqrt(ss) / n


def _pretest(att, group, t, inf, n, cluster, anticipation, se):
    pre = np.flatnonzero((group - anticipation > t) & np.isfinite(se))
    if len(pre) == 0:
        return None
    V = analytic_vcov(inf, n, cluster, pre) * n  # R's V = psi'psi/n scale
    if not np.all(np.isfinite(V)):
        warnings.warn("Pre-test not computed: missing values in the pre-treatment covariance", DiDCellWarning,
                      stacklevel=3)
        return None
    if 1.0 / np.linalg.cond(V, 1) <= np.finfo(float).eps:
        warnings.warn("Pre-test not computed: singular pre-treatment covariance matrix", DiDCellWarning,
                      stacklevel=3)
        return None
    a = att[pre]
    W = float(n * a @ np.linalg.solve(V, a))
    q = len(pre)
    return {"W": W, "df": q, "p_value": float(1 - chi2.cdf(W, q))}


def att_gt(
    data: pd.DataFrame,
    yname: str,
    tname: str,
    idname: str | None,
    gname: str,
    *,
    xformla: str | Sequence[str] | None = None,
    control_group: str = "nevertreated",
    anticipation: int = 0,
    est_method: str = "dr",
    base_period: str = "varying",
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    weightsname: str | None = None,
    clustervars: str | Sequence[str] | None = None,
    bstrap: bool = False,
    biters: int = 1000,
    cband: bool = False,
    alp: float = 0.05,
    seed: int | None = None,
    boot_weights: str = "rademacher",
    boot_draws: str = "rng",
) -> ATTgtResult:
    """Group-time average treatment effects (Callaway and Sant'Anna 2021).

    Parameters follow R ``did::att_gt``. ``gname`` is the period of first treatment
    (0 = never treated); periods can be any sortable whole numbers. ``xformla`` is
    ``None``, a one-sided formula (``"~x1+x2"``, formulaic syntax for anything
    beyond column names) or a list of columns. ``clustervars`` adds one clustering
    level coarser than the unit (``idname`` is always a cluster). ``bstrap=True``
    replaces analytic standard errors by multiplier-bootstrap ones; ``cband=True``
    adds simultaneous bands (computed by the bootstrap even when ``bstrap=False``).
    ``boot_weights`` is ``"rademacher"`` (default, as R ``did``) or ``"mammen"``;
    ``seed`` makes the bootstrap reproducible. ``boot_draws="rng"`` (default) draws the
    multipliers from one random stream over the sorted units, like R ``did``;
    ``"unit_keyed"`` makes each unit's (or cluster's) multiplier a function of
    ``(seed, id, draw)`` (:mod:`analysis.did.unit_draws`), so the bootstrap equals
    that of :func:`analysis.did.streamed.streamed_att_gt` for the same seed.
    """
    validate_args(control_group=control_group, anticipation=anticipation, est_method=est_method,
                  base_period=base_period, alp=alp, biters=biters)
    if boot_weights not in ("mammen", "rademacher"):
        raise ValueError(f"boot_weights must be 'mammen' or 'rademacher', got {boot_weights!r}")
    if boot_draws not in ("rng", "unit_keyed"):
        raise ValueError(f"boot_draws must be 'rng' or 'unit_keyed', got {boot_draws!r}")
    anticipation = int(anticipation)
    if not panel and allow_unbalanced_panel:
        allow_unbalanced_panel = False
    prep = prepare(
        data, yname=yname, tname=tname, idname=idname, gname=gname, xformla=xformla,
        control_group=control_group, anticipation=anticipation, panel=panel,
        allow_unbalanced_panel=allow_unbalanced_panel, weightsname=weightsname, clustervars=clustervars,
    )
    # The linear algebra here is thin (n x few columns): extra BLAS threads only add
    # synchronisation cost, and they stall badly on a busy machine.
    with _single_blas_thread(prep.n_units):
        fit = _fit_cells(prep, control_group=control_group, anticipation=anticipation, est_method=est_method,
                         base_period=base_period)
        n, inf, att = fit["n"], fit["inf"], fit["att"]
        cluster = _unit_clusters(prep)
        se = analytic_se(inf, n, cluster)
        se[~np.isfinite(se) | (se <= _SE_TOL)] = np.nan
        pretest = _pretest(att, fit["group"], fit["t"], inf, n, cluster, anticipation, se)
        params = dict(
            yname=yname, tname=tname, idname=idname, gname=gname,
            xformla=xformla if (xformla is None or isinstance(xformla, str)) else list(xformla),
            control_group=control_group, anticipation=anticipation, est_method=est_method,
            base_period=base_period, panel=panel, allow_unbalanced_panel=allow_unbalanced_panel,
            weightsname=weightsname, clustervars=prep.cluster_name, bstrap=bool(bstrap), biters=int(biters),
            cband=bool(cband), alp=float(alp), seed=seed, boot_weights=boot_weights, boot_draws=boot_draws,
            tlist=prep.tlist.tolist(), glist=prep.glist.tolist(),
        )
        res = ATTgtResult(
            estimator="callaway_santanna", table=pd.DataFrame(), params=params, extra={},
            group=fit["group"], t=fit["t"], att=att, inffunc=inf, n=n,
            unit_group=fit["unit_group"], unit_weight=fit["unit_weight"], cluster=cluster,
            # Without a seed, fix one per result so its aggregations reuse the same multipliers.
            _boot_seed=int(np.random.SeedSequence().entropy % 2**63) if seed is None else None,
        )
        if boot_draws == "unit_keyed":
            from analysis.did.unit_draws import unit_keys

            res.unit_keys = unit_keys(prep.unit_ids)
            res.cluster_keys = None if prep.cluster_labels is None else unit_keys(prep.cluster_labels)

        crit = float(norm.ppf(1 - alp / 2))
        crit_simul = np.nan
        if bstrap or cband:
            draws = res.bootstrap_draws(biters=int(biters), weights=boot_weights)[:, : len(att)]
            boot = draw_stats(draws, alp=alp, n=n)
            if bstrap:
                se = np.where(np.isfinite(se), boot.se, np.nan)  # base-period cells stay NaN
                se[se <= _SE_TOL] = np.nan
            if cband:
                if not bstrap:
                    warnings.warn("Used the multiplier bootstrap to compute the simultaneous confidence band",
                                  UserWarning, stacklevel=2)
                crit_simul = _checked_crit(boot.crit_val, alp)
        res.table = attgt_table(fit["group"], fit["t"], att, se, crit, crit_simul, fit["n_cell"])
        res.se = se
        res.crit_val = crit_simul
        res.extra = dict(
            pretest=pretest,
            n_units=n,
            covariates=prep.xnames,
            layout="balanced_panel" if (prep.panel and not prep.unbalanced) else
            ("unbalanced_panel" if prep.unbalanced else "repeated_cross_section"),
            data_notes=prep.notes,
            crit_val_simul=crit_simul,
        )
        return res


def attgt_table(group, t, att, se, crit: float, crit_simul: float, n_cell) -> pd.DataFrame:
    """The tidy ATT(g,t) table (shared by in-memory and streamed estimation)."""
    est_ok = np.isfinite(att)
    table = pd.DataFrame({
        "estimator": "callaway_santanna",
        "type": "attgt",
        "term": [f"ATT({g:g},{tt:g})" for g, tt in zip(group, t)],
        "group": group,
        "period": t,
        "event_time": t - group,
        "estimate": att,
        "std_error": se,
        "conf_low": att - crit * se,
        "conf_high": att + crit * se,
        "conf_low_simul": att - crit_simul * se,
        "conf_high_simul": att + crit_simul * se,
        "p_value": np.where(est_ok, 2 * norm.sf(np.abs(att / se)), np.nan),
        "n": n_cell,
    })
    return conform_tidy(table)


def _checked_crit(crit: float, alp: float) -> float:
    """R did's sanity checks on a simultaneous critical value."""
    pointwise = float(norm.ppf(1 - alp / 2))
    if not np.isfinite(crit):
        warnings.warn("Simultaneous critical value is NaN (no usable standard errors); reporting pointwise bands",
                      UserWarning, stacklevel=3)
        return pointwise
    if crit < pointwise:
        warnings.warn("Simultaneous band narrower than the pointwise one; reporting pointwise bands",
                      UserWarning, stacklevel=3)
        return pointwise
    if crit >= 7:
        warnings.warn("Simultaneous critical value >= 7: the band is unreliable (small groups or little variation)",
                      UserWarning, stacklevel=3)
    return float(crit)
