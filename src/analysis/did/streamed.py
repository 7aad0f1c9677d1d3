"""Callaway-Sant'Anna ATT(g,t) and its aggregations from a panel streamed in chunks of units.

The in-memory :func:`analysis.did.att_gt` holds an ``(n_units x n_cells)``
influence-function array: 4.3 million ASN x ~800 cells would need ~29 GB. Here the
panel is read twice, one chunk of units at a time (a chunk must hold *every* row of
its units), and nothing of size ``n_units x n_cells`` is ever formed:

1. **Sufficient statistics.** Per cohort ``c``: the unit count ``n_c``, ``X'X``
   (``k x k``, time-invariant covariates with a leading intercept) and ``X'Y``
   (``k x T``). Every ATT(g,t) of the outcome-regression estimator follows: the
   comparison-group regression of ``Y_t - Y_b`` on ``X`` only needs the sums of
   ``X'X`` and ``X'(Y_t - Y_b)`` over the comparison cohorts.
2. **Influence functions.** A unit's influence function for cell ``j`` is linear in
   its outcome row ``Y_i`` with coefficients that depend only on its cohort and its
   covariates: ``psi_ij = sum_k X_ik (Y_i @ L[c, k])_j + X_i' Q[c]_j X_i``. So is any
   aggregation (a fixed linear map of the cells, plus the estimated-weights term of
   ``aggte``, which depends on the cohort only). The per-cohort operators ``L`` and
   ``Q`` are built once from pass 1; pass 2 applies them to each chunk and only
   keeps running sums: squared influence of every cell (analytic SEs), the Gram
   matrix of the pre-treatment cells (Wald pre-test) and of the aggregated
   parameters, and, for the bootstrap, ``sum_i V_ib psi_i`` with multipliers keyed
   by unit id (:mod:`analysis.did.unit_draws`), so results do not depend on chunk
   size, unit order, partitioning or engine.

Supported: balanced panels without missing values, ``est_method="reg"`` with or
without time-invariant covariates (plain column names); ``"dr"`` and ``"ipw"``
without covariates, where they coincide with ``"reg"`` (the propensity score is a
constant; trimming is mirrored). Both comparison groups, both base periods and
anticipation. ``clustervars`` adds one clustering level coarser than the unit (a
column constant within units, e.g. the office an employee works in): analytic SEs
sum the influence functions by cluster (running cluster sums, one row per cluster
met, so memory grows with the number of clusters, not units) and the bootstrap
keys its multipliers by cluster id, as the in-memory ``att_gt(clustervars=...)``.
Not supported (a clear error): ``"dr"``/``"ipw"`` with covariates (their logit
needs iterative passes over each cell's sample), sampling weights, more than one
clustering level, unbalanced panels, repeated cross-sections, formula terms beyond
column names, and data without never-treated units.

Hand-written because no library streams this estimator; it reuses the cell plan,
the aggregation plan and the bootstrap summaries of the in-memory code, and its
tests compare it with that code to 1e-10.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from analysis.did._checks import MIN_GROUP_UNITS, DiDDataWarning, parse_xformla, validate_args
from analysis.did._cs_estimators import TRIM_LEVEL, CellError, _inv_checked
from analysis.did.aggte import _TYPES, AggteResult, plan_aggregation, aggte_result
from analysis.did.attgt import _SE_TOL, DiDCellWarning, _cell_plan, _checked_crit, _single_blas_thread, attgt_table
from analysis.did.bootstrap import draw_stats
from analysis.did.results import DiDResult
from analysis.did.unit_draws import keyed_draw_sums, unit_keys

#: units per block in pass 2 (block x cells float64 arrays)
BLOCK_UNITS = 32_768

Source = Iterable[Any] | Callable[[], Iterable[Any]]


class StreamError(ValueError):
    """The streamed data cannot be used as they are (what and where, never an identifier)."""


# ----------------------------------------------------------------------------- chunks


@dataclass
class _Chunk:
    keys: np.ndarray  # (m,) unit keys
    g: np.ndarray  # (m,) cohort
    X: np.ndarray  # (m, k) time-invariant design with intercept
    Y: np.ndarray  # (m, T) outcomes by period
    periods: np.ndarray  # (T,)
    ckeys: np.ndarray | None = None  # (m,) cluster keys (clustervars)


def _column(chunk: Any, name: str, where: str) -> np.ndarray:
    try:
        col = chunk[name]
    except (KeyError, IndexError, ValueError) as err:
        raise StreamError(f"{where}: column {name!r} is missing") from err
    return col.to_numpy() if isinstance(col, pd.Series) else np.asarray(col)


def _numeric(a: np.ndarray, name: str, where: str) -> np.ndarray:
    if np.ma.isMaskedArray(a):
        if np.ma.getmaskarray(a).any():
            raise StreamError(f"{where}: column {name!r} has missing values; clean the panel first")
        a = np.ma.getdata(a)
    try:
        out = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as err:
        raise StreamError(f"{where}: column {name!r} must be numeric") from err
    if not np.isfinite(out).all():
        raise StreamError(f"{where}: column {name!r} has missing or non-finite values; clean the panel first")
    return out


def _read_chunk(chunk: Any, names: dict, xcols: list[str], where: str, cname: str | None = None) -> _Chunk | None:
    """Reshape one chunk into unit x period arrays, checking that it is a balanced panel."""
    ids = _column(chunk, names["idname"], where)
    if np.ma.isMaskedArray(ids):
        if np.ma.getmaskarray(ids).any():
            raise StreamError(f"{where}: column {names['idname']!r} has missing values")
        ids = np.ma.getdata(ids)
    if len(ids) == 0:
        return None
    if pd.isna(ids).any():
        raise StreamError(f"{where}: column {names['idname']!r} has missing values")
    t = _numeric(_column(chunk, names["tname"], where), names["tname"], where)
    y = _numeric(_column(chunk, names["yname"], where), names["yname"], where)
    g = _numeric(_column(chunk, names["gname"], where), names["gname"], where)
    xs = [_numeric(_column(chunk, c, where), c, where) for c in xcols]
    cl = None
    if cname is not None:
        cl = _column(chunk, cname, where)
        if np.ma.isMaskedArray(cl):
            if np.ma.getmaskarray(cl).any():
                raise StreamError(f"{where}: column {cname!r} has missing values")
            cl = np.ma.getdata(cl)
        if pd.isna(cl).any():
            raise StreamError(f"{where}: column {cname!r} has missing values")
    if not (np.all(t == np.round(t)) and np.all(g == np.round(g))):
        raise StreamError(f"{where}: {names['tname']!r} and {names['gname']!r} must hold whole-number periods")
    if (g < 0).any():
        raise StreamError(f"{where}: {names['gname']!r} must be 0 (never treated) or the period of first treatment")
    if ids.dtype.kind in "iuf" and len(ids) > 1 and bool(np.all(ids[1:] >= ids[:-1])):
        # Sorted numeric ids (the usual layout): units from the boundaries, no hashing.
        new = np.empty(len(ids), dtype=bool)
        new[0], new[1:] = True, ids[1:] != ids[:-1]
        codes, uniq = np.cumsum(new) - 1, ids[new]
    else:
        codes, uniq = pd.factorize(ids)
    m = len(uniq)
    ordered = bool(np.all(codes[1:] >= codes[:-1]) and np.all((codes[1:] > codes[:-1]) | (t[1:] > t[:-1])))
    if not ordered:
        order = np.lexsort((t, codes))
        codes, t, y, g = codes[order], t[order], y[order], g[order]
        xs = [x[order] for x in xs]
        cl = None if cl is None else cl[order]
    if len(t) % m:
        raise StreamError(f"{where}: the panel is not balanced (units have different numbers of rows); "
                          "the streamed estimator needs one row per unit and period")
    nT = len(t) // m
    T = t.reshape(m, nT)
    periods = T[0]
    if not (np.all(T == periods[None, :]) and np.all(np.diff(periods) > 0)):
        raise StreamError(f"{where}: the panel is not balanced or has duplicated (unit, period) rows; "
                          "the streamed estimator needs one row per unit and period")
    G = g.reshape(m, nT)
    if not np.all(G == G[:, :1]):
        raise StreamError(f"{where}: {names['gname']!r} varies within units; it must be the period of first "
                          "treatment, constant within a unit")
    X = np.ones((m, 1 + len(xs)))
    for j, (c, x) in enumerate(zip(xcols, xs)):
        Xc = x.reshape(m, nT)
        if not np.all(Xc == Xc[:, :1]):
            raise StreamError(f"{where}: covariate {c!r} varies within units; only time-invariant covariates "
                              "are supported by the streamed estimator")
        X[:, j + 1] = Xc[:, 0]
    ckeys = None
    if cl is not None:
        ck = unit_keys(cl).reshape(m, nT)
        if not np.all(ck == ck[:, :1]):
            raise StreamError(f"{where}: cluster variable {cname!r} varies within units; each unit must belong to "
                              "one cluster")
        ckeys = ck[:, 0].copy()
    return _Chunk(keys=unit_keys(uniq), g=G[:, 0].copy(), X=X, Y=y.reshape(m, nT), periods=periods.copy(),
                  ckeys=ckeys)


def _map_chunks(source: Source, fn: Callable[[Any, str], Any], second: bool = False) -> Iterable[Any]:
    """``fn(chunk, where)`` for every chunk: on Spark executors for :class:`SparkChunks`, else here."""
    if hasattr(source, "map_partitions"):
        yield from source.map_partitions(fn)
        return
    for i, chunk in enumerate(_iterate(source)):
        yield fn(chunk, f"chunk {i + 1}" + (" (second pass)" if second else ""))


def _iterate(source: Source) -> Iterable[Any]:
    if isinstance(source, pd.DataFrame):
        return [source]
    it = source() if callable(source) else source
    if iter(it) is it and not callable(source):
        raise TypeError("The source is a one-shot iterator but is read twice; pass a list, a re-iterable source "
                        "(DuckDBChunks, SparkChunks) or a function returning a fresh iterator")
    return it


# ----------------------------------------------------------------------------- pass 1


@dataclass
class _Stats:
    periods: np.ndarray | None = None
    n: dict = field(default_factory=dict)  # cohort -> units
    xx: dict = field(default_factory=dict)  # cohort -> (k, k)
    xy: dict = field(default_factory=dict)  # cohort -> (k, T)
    keys: list = field(default_factory=list)
    chunks: int = 0

    def add(self, ch: _Chunk, where: str) -> None:
        if self.periods is None:
            self.periods = ch.periods
        elif len(ch.periods) != len(self.periods) or np.any(ch.periods != self.periods):
            raise StreamError(f"{where}: its periods differ from the first chunk's; the panel must be balanced")
        cohorts, inv = np.unique(ch.g, return_inverse=True)
        for ci, c in enumerate(cohorts.tolist()):
            rows = inv == ci
            Xc, Yc = ch.X[rows], ch.Y[rows]
            k = Xc.shape[1]
            self.n[c] = self.n.get(c, 0) + int(rows.sum())
            self.xx[c] = self.xx.get(c, np.zeros((k, k))) + Xc.T @ Xc
            self.xy[c] = self.xy.get(c, np.zeros((k, Yc.shape[1]))) + Xc.T @ Yc
        self.keys.append(ch.keys)
        self.chunks += 1

    def merge(self, other: _Stats) -> None:
        if other.periods is None:
            self.chunks += other.chunks
            return
        if self.periods is None:
            self.periods = other.periods
        elif len(other.periods) != len(self.periods) or np.any(other.periods != self.periods):
            raise StreamError(f"chunk {self.chunks + 1}: its periods differ from the first chunk's; the panel must be "
                              "balanced")
        for mine, theirs in ((self.n, other.n), (self.xx, other.xx), (self.xy, other.xy)):
            for c, v in theirs.items():
                mine[c] = mine[c] + v if c in mine else v
        self.keys.extend(other.keys)
        self.chunks += other.chunks


def _merge_cohort(st: _Stats, src: float, dst: float) -> None:
    for d in (st.n, st.xx, st.xy):
        val = d.pop(src)
        d[dst] = d[dst] + val if dst in d else val


# ----------------------------------------------------------------------------- result


@dataclass(repr=False, eq=False)
class StreamedResult(DiDResult):
    """ATT(g,t) (``table``) and the requested aggregations (``aggregations[type]``).

    Arrays as in :class:`analysis.did.attgt.ATTgtResult` (``group``, ``t``, ``att``,
    ``se``, ``n``) but no influence-function array. ``extra`` holds the pre-test,
    the unit count, the covariates, the number of chunks and the seconds per pass.
    """

    group: np.ndarray | None = None
    t: np.ndarray | None = None
    att: np.ndarray | None = None
    se: np.ndarray | None = None
    n: int = 0
    crit_val: float = float("nan")
    aggregations: dict = field(default_factory=dict)

    @property
    def pretest(self) -> dict | None:
        return self.extra.get("pretest")

    def aggregate(self, type: str = "group") -> AggteResult:  # noqa: A002 - R did's name
        if type not in self.aggregations:
            raise KeyError(f"Aggregation {type!r} was not requested; pass aggregations=(..., {type!r}) "
                           "to streamed_att_gt (aggregations are computed in the same pass)")
        return self.aggregations[type]

    def tidy_all(self) -> pd.DataFrame:
        """ATT(g,t) rows followed by every aggregation's rows."""
        return pd.concat([self.table] + [a.table for a in self.aggregations.values()], ignore_index=True)


# ----------------------------------------------------------------------------- estimator


def streamed_att_gt(
    source: Source,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    *,
    xformla: str | Sequence[str] | None = None,
    control_group: str = "nevertreated",
    anticipation: int = 0,
    est_method: str = "reg",
    base_period: str = "varying",
    aggregations: Sequence[str] = _TYPES,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    na_rm: bool = False,
    bstrap: bool = False,
    bstrap_cells: bool | None = None,
    biters: int = 999,
    cband: bool = False,
    alp: float = 0.05,
    seed: int | None = None,
    boot_weights: str = "rademacher",
    pretest: bool = True,
    clustervars: str | None = None,
    aggregation_options: dict[str, dict] | None = None,
) -> StreamedResult:
    """Callaway-Sant'Anna ATT(g,t) and aggregations from ``source``, read in two passes.

    ``source`` yields chunks (pandas DataFrames or mappings of column arrays), each
    holding all rows of its units: a list, a function returning a fresh iterator,
    :class:`analysis.did.stream_sources.DuckDBChunks` or ``SparkChunks``. Arguments
    follow :func:`analysis.did.att_gt` and :func:`analysis.did.aggte` (the
    aggregation options apply to every type in ``aggregations``). The bootstrap
    always uses multipliers keyed by unit id; it equals the in-memory
    ``att_gt(..., boot_draws="unit_keyed")`` for the same seed. ``bstrap_cells``
    (default: ``bstrap``) also bootstraps every ATT(g,t), which costs
    ``biters x n_cells`` per unit; ``pretest`` accumulates the pre-treatment cells'
    covariance for the Wald test. ``clustervars``: one column constant within units whose
    clusters the SEs and the bootstrap are clustered by (the unit is always a cluster).
    ``aggregation_options`` overrides ``min_e``/``max_e``/``balance_e`` per type, e.g.
    ``{"dynamic": {"min_e": -4, "max_e": 4}}`` for an event-study window that the simple
    and group aggregations do not share (all types still come from the same two passes).
    """
    # Thin matrix products: one BLAS thread is faster than two fighting over a busy machine.
    with _single_blas_thread(10**9):
        return _streamed(source, yname, tname, idname, gname, xformla=xformla, control_group=control_group,
                         anticipation=anticipation, est_method=est_method, base_period=base_period,
                         aggregations=aggregations, min_e=min_e, max_e=max_e, balance_e=balance_e, na_rm=na_rm,
                         bstrap=bstrap, bstrap_cells=bstrap_cells, biters=biters, cband=cband, alp=alp, seed=seed,
                         boot_weights=boot_weights, pretest=pretest, clustervars=clustervars,
                         aggregation_options=aggregation_options)


def _streamed(source, yname, tname, idname, gname, *, xformla, control_group, anticipation, est_method, base_period,
              aggregations, min_e, max_e, balance_e, na_rm, bstrap, bstrap_cells, biters, cband, alp, seed,
              boot_weights, pretest, clustervars=None, aggregation_options=None) -> StreamedResult:
    """The body of :func:`streamed_att_gt` (arguments as documented there)."""
    validate_args(control_group=control_group, anticipation=anticipation, est_method=est_method,
                  base_period=base_period, alp=alp, biters=biters)
    if boot_weights not in ("mammen", "rademacher"):
        raise ValueError(f"boot_weights must be 'mammen' or 'rademacher', got {boot_weights!r}")
    options = {a: dict(min_e=min_e, max_e=max_e, balance_e=balance_e) for a in aggregations}
    for a, opts in (aggregation_options or {}).items():
        unknown = set(opts) - {"min_e", "max_e", "balance_e"}
        if a not in options or unknown:
            raise ValueError(f"aggregation_options: {a!r} is not among the aggregations {tuple(aggregations)}"
                             if a not in options else f"aggregation_options[{a!r}]: unknown {sorted(unknown)}")
        options[a].update(opts)
    bad_types = [a for a in aggregations if a not in _TYPES]
    if bad_types:
        raise ValueError(f"aggregations must be among {_TYPES}, got {bad_types}")
    xcols, formula = parse_xformla(xformla)
    if clustervars is not None and not isinstance(clustervars, str):
        cv = [c for c in clustervars if c != idname]
        if len(cv) > 1:
            raise NotImplementedError("The streamed estimator takes one cluster variable beyond idname (as R did)")
        clustervars = cv[0] if cv else None
    cname = None if clustervars in (None, idname) else clustervars
    if formula is not None:
        raise NotImplementedError(f"The streamed estimator takes covariates as plain column names, not {xformla!r}; "
                                  "add derived columns to the source instead")
    if xcols and est_method != "reg":
        raise NotImplementedError(
            f"est_method={est_method!r} with covariates is not supported by the streamed estimator: its propensity "
            "score needs an iterative logit over each cell's sample. Use est_method='reg', or att_gt in memory")
    anticipation = int(anticipation)
    bstrap_cells = bool(bstrap) if bstrap_cells is None else bool(bstrap_cells)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    names = dict(yname=yname, tname=tname, idname=idname, gname=gname)
    timings = {}

    # Pass 1: sufficient statistics.
    t0 = time.perf_counter()

    def pass1(chunk, where):
        part = _Stats()
        ch = _read_chunk(chunk, names, xcols, where, cname)
        if ch is not None:
            part.add(ch, where)
        return part

    st = _Stats()
    for part in _map_chunks(source, pass1):
        st.merge(part)
    if st.periods is None:
        raise StreamError("The source yielded no rows")
    timings["pass1_s"] = time.perf_counter() - t0
    notes: list[str] = []
    tlist = st.periods
    late = [c for c in st.n if c > tlist[-1] + anticipation]
    if late:
        _note(f"{sum(st.n[c] for c in late)} units with {gname} > last period + anticipation are treated as never "
              "treated.", notes)
        for c in late:
            _merge_cohort(st, c, 0.0)
    first = [c for c in st.n if 0 < c <= tlist[0] + anticipation]
    if first:
        _note(f"Dropped {sum(st.n[c] for c in first)} units already treated in the first period ({tlist[0]:g}): they "
              "have no untreated period to compare.", notes)
    dropped = set(first)
    for c in first:
        for d in (st.n, st.xx, st.xy):
            d.pop(c)
    if 0.0 not in st.n:
        raise StreamError("No never-treated units: the streamed estimator needs a never-treated group")
    all_keys = np.concatenate(st.keys)
    del st.keys
    cohorts = np.array(sorted(st.n))
    n = int(sum(st.n.values()))
    if len(np.unique(all_keys)) != len(all_keys):
        raise StreamError("Some units appear in more than one chunk (or twice in one); each chunk must hold all "
                          "rows of its units and unit ids must be unique")
    del all_keys
    glist = cohorts[cohorts > 0]
    if len(glist) == 0:
        raise StreamError(f"No treated cohorts left: {gname!r} must be the period of first treatment (0 = never)")
    req = len(xcols) + MIN_GROUP_UNITS
    small = [(c, st.n[c]) for c in cohorts if st.n[c] < req]
    if small:
        _note(f"Small groups (fewer than {req} units): " + ", ".join(f"{gname}={c:g}: {s}" for c, s in small)
              + ". Their ATT(g,t) are imprecise.", notes)
        if any(c == 0 for c, _ in small) and control_group == "nevertreated":
            raise StreamError("The never-treated group is too small; try control_group='notyettreated'")

    cells = _fit_cells_from_stats(st, cohorts, glist, tlist, n, control_group=control_group,
                                  anticipation=anticipation, base_period=base_period, est_method=est_method)
    group, tt, att = cells["group"], cells["t"], cells["att"]
    ncell = len(att)

    # Aggregation plans (they need only the ATTs and cohort sizes).
    mass = {float(c): float(st.n[c]) for c in cohorts}
    plans = {a: plan_aggregation(group, tt, att, mass, n, a, **options[a], na_rm=na_rm, tmin=float(tlist[0]))
             for a in aggregations}
    W_parts, C_parts, spans = [], [], {}
    col = 0
    for a, plan in plans.items():
        Wfull = np.zeros((ncell, plan.Wk.shape[1]))
        Wfull[plan.kept] = plan.Wk
        Cc = np.zeros((len(cohorts), plan.Wk.shape[1]))
        pos = np.searchsorted(cohorts, plan.glist)
        Cc[pos] = plan.Cm[: len(plan.glist)]
        W_parts.append(Wfull)
        C_parts.append(Cc)
        spans[a] = slice(col, col + plan.Wk.shape[1])
        col += plan.Wk.shape[1]
    W = np.hstack(W_parts) if W_parts else np.zeros((ncell, 0))
    Cw = np.hstack(C_parts) if C_parts else np.zeros((len(cohorts), 0))
    L, Q = cells["L"], cells["Q"]
    Lagg = np.einsum("cktj,jp->cktp", L, W)
    Qagg = np.einsum("cklj,jp->cklp", Q, W)
    Qagg[:, 0, 0, :] += Cw
    pre = np.flatnonzero((group - anticipation > tt) & cells["est"]) if pretest else np.zeros(0, dtype=int)

    # Pass 2: influence functions, chunk by chunk, reduced to running sums.
    t0 = time.perf_counter()
    cidx = {float(c): i for i, c in enumerate(cohorts)}
    boot_iters = int(biters) if (bstrap or cband) else 0
    sparsity = [_Sparsity.of(L[ci], Q[ci], pre) for ci in range(len(cohorts))]
    Lsub = [np.ascontiguousarray(L[ci][..., sp.cols]) for ci, sp in enumerate(sparsity)]
    Qsub = [np.ascontiguousarray(Q[ci][..., sp.cols]) for ci, sp in enumerate(sparsity)]

    def pass2(chunk, where):
        acc = _Accumulator(ncell=ncell, npar=W.shape[1], pre=pre, biters=boot_iters, cell_boot=bstrap_cells,
                           seed=seed, weights=boot_weights, clustered=cname is not None)
        ch = _read_chunk(chunk, names, xcols, where, cname)
        if ch is None:
            return acc
        if len(ch.periods) != len(tlist) or np.any(ch.periods != tlist):
            raise StreamError(f"{where}: its periods differ from the first pass; the source must yield the same data")
        g = np.where(ch.g > tlist[-1] + anticipation, 0.0, ch.g)
        keep = ~np.isin(g, list(dropped))
        for c in np.unique(g[keep]).tolist():
            if c not in cidx:
                raise StreamError(f"{where}: cohort {c:g} was not seen in the first pass; the source must yield the "
                                  "same data twice")
            rows = np.flatnonzero(keep & (g == c))
            acc.units += len(rows)
            ci = cidx[c]
            for s in range(0, len(rows), BLOCK_UNITS):
                r = rows[s:s + BLOCK_UNITS]
                X, Y = ch.X[r], ch.Y[r]
                sp = sparsity[ci]
                acc.add(ch.keys[r] if ch.ckeys is None else ch.ckeys[r], _apply(X, Y, Lsub[ci], Qsub[ci]), sp,
                        _apply(X, Y, Lagg[ci], Qagg[ci]))
        return acc

    acc = None
    for part in _map_chunks(source, pass2, second=True):
        acc = part if acc is None else acc.merge(part)
    n2 = 0 if acc is None else acc.units
    if n2 != n:
        raise StreamError(f"The second pass read {n2} units, the first {n}; the source must yield the same data twice")
    timings["pass2_s"] = time.perf_counter() - t0
    n_clusters = acc.finish_clusters() if cname is not None else None

    # Cells: analytic SEs, bootstrap, pre-test, table.
    crit = float(norm.ppf(1 - alp / 2))
    se = np.sqrt(acc.cell_ss) / n
    se[~cells["est"] | ~np.isfinite(se) | (se <= _SE_TOL)] = np.nan
    crit_simul = np.nan
    if bstrap_cells and acc.biters:
        boot = draw_stats(acc.cell_draws / n, alp=alp, n=n)
        if bstrap:
            se = np.where(np.isfinite(se), boot.se, np.nan)
            se[se <= _SE_TOL] = np.nan
        if cband:
            crit_simul = _checked_crit(boot.crit_val, alp)
    elif cband:
        warnings.warn("cband for the ATT(g,t) needs bstrap_cells=True; the cell table has pointwise bands only",
                      UserWarning, stacklevel=2)
    pt = _pretest(att, pre, acc.pre_gram, n, se) if pretest else None
    params = dict(
        yname=yname, tname=tname, idname=idname, gname=gname,
        xformla=xformla if (xformla is None or isinstance(xformla, str)) else list(xformla),
        control_group=control_group, anticipation=anticipation, est_method=est_method, base_period=base_period,
        panel=True, allow_unbalanced_panel=False, weightsname=None, clustervars=cname, bstrap=bool(bstrap),
        biters=int(biters), cband=bool(cband), alp=float(alp), seed=seed, boot_weights=boot_weights,
        boot_draws="unit_keyed", tlist=tlist.tolist(), glist=glist.tolist(),
    )
    res = StreamedResult(
        estimator="callaway_santanna", table=attgt_table(group, tt, att, se, crit, crit_simul, cells["n_cell"]),
        params=params, group=group, t=tt, att=att, se=se, n=n, crit_val=crit_simul,
        extra=dict(pretest=pt, n_units=n, covariates=["(Intercept)"] + list(xcols), layout="balanced_panel",
                   data_notes=notes, crit_val_simul=crit_simul, chunks=st.chunks, n_clusters=n_clusters, **timings),
    )

    # Aggregations: analytic SEs from the Gram diagonal, bootstrap from the keyed draws.
    for a, plan in plans.items():
        sl = spans[a]
        se_all = np.sqrt(np.diag(acc.agg_gram)[sl]) / n
        se_all[~np.isfinite(se_all) | (se_all <= _SE_TOL)] = np.nan
        n_egt = 0 if plan.egt is None else len(plan.egt)
        a_crit = np.nan
        if acc.biters and (bstrap or (cband and n_egt)):
            draws = acc.agg_draws[:, sl] / n
            if bstrap:
                se_all = np.where(np.isfinite(se_all), draw_stats(draws, alp=alp, n=n).se, np.nan)
            if cband and n_egt:
                a_crit = _checked_crit(draw_stats(draws[:, :n_egt], alp=alp, n=n).crit_val, alp)
        p = dict(params)
        p.update(type=a, **options[a], na_rm=na_rm)
        res.aggregations[a] = aggte_result(a, plan, se_all, a_crit, alp=alp, n=n, params=p)
    return res


def _note(msg: str, notes: list[str]) -> None:
    notes.append(msg)
    warnings.warn(msg, DiDDataWarning, stacklevel=3)


def _apply(X: np.ndarray, Y: np.ndarray, L: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Influence functions ``sum_k X_k (Y @ L[k]) + X' Q X`` of a block of one cohort's units."""
    if X.shape[1] == 1:  # intercept only: X = 1
        return Y @ L[0] + Q[0, 0][None, :]
    out = np.einsum("ik,il,klp->ip", X, X, Q)
    for k in range(X.shape[1]):
        out += X[:, k:k + 1] * (Y @ L[k])
    return out


class _Accumulator:
    """Running sums of pass 2 (all additive over any split of the units).

    Clustered, the squares wait for the end: the influence functions are summed by cluster
    (:class:`_ClusterSums`, columns: cells then aggregated parameters) and :meth:`finish_clusters`
    forms the cell variances, the pre-test and aggregation Gram matrices from those sums.
    """

    def __init__(self, *, ncell, npar, pre, biters, cell_boot, seed, weights, clustered=False):
        self.cell_ss = np.zeros(ncell)
        self.pre = pre
        self.pre_gram = np.zeros((len(pre), len(pre)))
        self.agg_gram = np.zeros((npar, npar))
        self.biters, self.cell_boot, self.seed, self.weights = biters, cell_boot, seed, weights
        self.agg_draws = np.zeros((biters, npar))
        self.cell_draws = np.zeros((biters, ncell)) if (biters and cell_boot) else None
        self.units = 0
        self.ncell = ncell
        self.clusters = _ClusterSums(ncell + npar) if clustered else None

    def merge(self, other: _Accumulator) -> _Accumulator:
        for name in ("cell_ss", "pre_gram", "agg_gram", "agg_draws", "cell_draws", "units"):
            mine = getattr(self, name)
            if mine is not None:
                setattr(self, name, mine + getattr(other, name))
        if self.clusters is not None:
            self.clusters.merge(other.clusters)
        return self

    def add(self, keys: np.ndarray, psi_cells: np.ndarray, sp: _Sparsity, psi_agg: np.ndarray) -> None:
        """Add a block of units: ``psi_cells`` holds only the cells ``sp.cols`` their cohort takes part in.

        ``keys`` key the multipliers: unit keys, or cluster keys when clustered.
        """
        if self.clusters is not None:
            self.clusters.add(keys, psi_cells, sp.cols, psi_agg, self.ncell)
        else:
            self.cell_ss[sp.cols] += np.einsum("ij,ij->j", psi_cells, psi_cells)
            if len(sp.pre_local):
                P = psi_cells[:, sp.pre_local]
                self.pre_gram[np.ix_(sp.pre_global, sp.pre_global)] += P.T @ P
            self.agg_gram += psi_agg.T @ psi_agg
        if self.biters:
            both = np.hstack([psi_agg, psi_cells]) if self.cell_draws is not None else psi_agg
            d = keyed_draw_sums(both, keys, biters=self.biters, seed=self.seed, weights=self.weights)
            self.agg_draws += d[:, : psi_agg.shape[1]]
            if self.cell_draws is not None:
                self.cell_draws[:, sp.cols] += d[:, psi_agg.shape[1]:]


    def finish_clusters(self) -> int:
        """Squares of the cluster sums (``S'S``, as :func:`analysis.did.attgt.analytic_vcov`); the cluster count."""
        S = self.clusters.total()
        cells, agg = S[:, : self.ncell], S[:, self.ncell:]
        self.cell_ss = np.einsum("ij,ij->j", cells, cells)
        P = cells[:, self.pre]
        self.pre_gram = P.T @ P
        self.agg_gram = agg.T @ agg
        return S.shape[0]


class _ClusterSums:
    """Influence functions summed by cluster key, any split of the units adding up to the same sums.

    Block sums are kept as they come and consolidated (one row per key) once they outgrow the
    consolidated rows, so memory stays a small multiple of clusters x columns.
    """

    def __init__(self, width: int):
        self.width = width
        self.keys: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self._consolidated = 0

    def add(self, keys: np.ndarray, psi_cells: np.ndarray, cols: np.ndarray, psi_agg: np.ndarray, ncell: int) -> None:
        from scipy import sparse

        uniq, inv = np.unique(keys, return_inverse=True)
        A = sparse.csr_matrix((np.ones(len(keys)), (inv, np.arange(len(keys)))), shape=(len(uniq), len(keys)))
        block = np.zeros((len(uniq), self.width))
        block[:, cols] = A @ psi_cells
        block[:, ncell:] = A @ psi_agg
        self._push(uniq, block)

    def _push(self, keys: np.ndarray, rows: np.ndarray) -> None:
        self.keys.append(keys)
        self.rows.append(rows)
        if sum(len(k) for k in self.keys) > 2 * max(self._consolidated, 4096):
            self._consolidate()

    def _consolidate(self) -> None:
        from scipy import sparse

        keys = np.concatenate(self.keys)
        uniq, inv = np.unique(keys, return_inverse=True)
        A = sparse.csr_matrix((np.ones(len(keys)), (inv, np.arange(len(keys)))), shape=(len(uniq), len(keys)))
        self.keys, self.rows = [uniq], [A @ np.vstack(self.rows)]
        self._consolidated = len(uniq)

    def merge(self, other: _ClusterSums) -> None:
        for k, r in zip(other.keys, other.rows):
            self._push(k, r)

    def total(self) -> np.ndarray:
        """(clusters x width) sums, clusters in key order."""
        if not self.keys:
            return np.zeros((0, self.width))
        self._consolidate()
        return self.rows[0]


@dataclass
class _Sparsity:
    """The cells a cohort's units take part in (treated or comparison): the others are zero."""

    cols: np.ndarray
    pre_local: np.ndarray  # positions in ``cols`` of pre-treatment cells
    pre_global: np.ndarray  # their positions in the pre-test's cell list

    @classmethod
    def of(cls, L: np.ndarray, Q: np.ndarray, pre: np.ndarray) -> _Sparsity:
        cols = np.flatnonzero(np.any(L != 0, axis=(0, 1)) | np.any(Q != 0, axis=(0, 1)))
        local = np.flatnonzero(np.isin(cols, pre))
        return cls(cols=cols, pre_local=local, pre_global=np.searchsorted(pre, cols[local]))


def _pretest(att, pre, gram, n, se):
    """R did's Wald pre-test from the pre-treatment cells' Gram matrix (as attgt._pretest)."""
    ok = np.isfinite(se[pre])
    if not ok.any():
        return None
    V = gram[np.ix_(ok, ok)] / n  # R's V = psi'psi/n
    if 1.0 / np.linalg.cond(V, 1) <= np.finfo(float).eps:
        warnings.warn("Pre-test not computed: singular pre-treatment covariance matrix", DiDCellWarning, stacklevel=3)
        return None
    a = att[pre[ok]]
    W = float(n * a @ np.linalg.solve(V, a))
    return {"W": W, "df": int(ok.sum()), "p_value": float(1 - chi2.cdf(W, int(ok.sum())))}


def _fit_cells_from_stats(st: _Stats, cohorts, glist, tlist, n, *, control_group, anticipation, base_period,
                          est_method):
    """ATT(g,t) of the outcome-regression estimator and the per-cohort IF operators ``L``, ``Q``.

    For cell j (cohort g vs comparison cohorts C, periods t and base b; dY = Y_t - Y_b):
    ``beta = (X_C'X_C)^-1 X_C'dY_C``, ``att = mean_g(dY) - mean_g(X)'beta`` and the
    influence function (scaled as att_gt's ``inffunc``) is
    ``n/n_g (dY_i - X_i'beta - att)`` for units of g and
    ``-n X_i'M (dY_i - X_i'beta)`` with ``M = (X_C'X_C)^-1 mean_g(X)`` for comparison units.
    """
    plan = _cell_plan(tlist, glist, anticipation, base_period)
    ncell, nT, nc = len(plan), len(tlist), len(cohorts)
    k = st.xx[float(cohorts[0])].shape[0]
    L = np.zeros((nc, k, nT, ncell))
    Q = np.zeros((nc, k, k, ncell))
    att = np.full(ncell, np.nan)
    n_cell = np.zeros(ncell)
    est = np.zeros(ncell, dtype=bool)
    cpos = {float(c): i for i, c in enumerate(cohorts)}
    group = np.array([c[0] for c in plan], dtype=float)
    tt = np.array([tlist[c[1]] for c in plan], dtype=float)
    for j, (g, ti, base, kind) in enumerate(plan):
        if kind == "base":
            att[j] = 0.0
            continue
        if control_group == "nevertreated":
            ctrl = [0.0]
        else:
            cut = tlist[max(ti, base)] + anticipation
            ctrl = [c for c in cohorts.tolist() if c == 0 or (c > cut and c != g)]
        g = float(g)
        try:
            n_g, n_c = st.n[g], sum(st.n[c] for c in ctrl)
            n1 = n_g + n_c
            if n_c == 0:
                raise CellError("no comparison units")
            if est_method in ("dr", "ipw") and n_g / n1 >= TRIM_LEVEL:
                # The constant propensity score trims every comparison unit in DRDID.
                raise CellError("A treatment/period group has no positive weight after trimming")
            if n_c < k:
                raise CellError("Too few comparison units with positive weight for the outcome regression")
            xx_c = sum(st.xx[c] for c in ctrl)
            xdy_c = sum(st.xy[c][:, ti] - st.xy[c][:, base] for c in ctrl)
            inv = _inv_checked(xx_c / n1, "outcome regression") / n1
            beta = inv @ xdy_c
            xbar_g = st.xx[g][0] / n_g
            a = (st.xy[g][0, ti] - st.xy[g][0, base]) / n_g - xbar_g @ beta
            if not np.isfinite(a):
                raise CellError("non-finite estimate")
        except CellError as err:
            warnings.warn(f"ATT({g:g},{tlist[ti]:g}) set to NaN: {err}", DiDCellWarning, stacklevel=3)
            continue
        att[j], n_cell[j], est[j] = a, n1, True
        M = inv @ xbar_g
        s = n / n_g
        cg = cpos[g]
        L[cg, 0, ti, j] += s
        L[cg, 0, base, j] -= s
        Q[cg, 0, :, j] -= s * beta
        Q[cg, 0, 0, j] -= s * a
        for c in ctrl:
            cc = cpos[c]
            L[cc, :, ti, j] -= n * M
            L[cc, :, base, j] += n * M
            Q[cc, :, :, j] += n * np.outer(M, beta)
    return dict(group=group, t=tt, att=att, n_cell=n_cell, est=est, L=L, Q=Q)
