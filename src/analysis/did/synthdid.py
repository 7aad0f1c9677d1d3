"""Synthetic control and synthetic difference-in-differences for one or a few treated units.

Follows R ``synthdid`` (Arkhangelsky, Athey, Hirshberg, Imbens and Wager 2021,
"Synthetic Difference-in-Differences", AER 111(12)), files ``R/synthdid.R``,
``R/solver.R``, ``R/utils.R`` and ``R/vcov.R`` of ``synth-inference/synthdid``:

* the panel is an ``N x T`` matrix, controls first, treated units last, all treated
  units adopting at once after ``T0`` pre-periods (a block design);
* ``noise_level`` = sd of the first differences of the control units' pre-period
  outcomes; unit-weight penalty ``zeta_omega = (N_tr * T_post)^(1/4) * noise_level``,
  time-weight penalty ``zeta_lambda = 1e-6 * noise_level``;
* weights by Frank-Wolfe with exact line search on the collapsed ``(N0+1) x (T0+1)``
  panel, a first round of at most ``max_iter_pre_sparsify = 100`` iterations, then
  ``sparsify`` (weights at most a quarter of the largest set to zero) and a second
  round of at most ``max_iter = 10000`` iterations; stop when an iteration lowers the
  penalised objective by no more than ``min_decrease^2`` with ``min_decrease = 1e-5 *
  noise_level``;
* ``sc`` (synthetic control): no time weights, no intercept in the unit weights,
  ``eta_omega = 1e-6``; ``did``: uniform weights;
* standard errors (R ``vcov``): ``placebo`` (Algorithm 4: controls permuted, the last
  ``N_tr`` of them pseudo-treated, weights re-estimated from the original ones as
  starting values), ``bootstrap`` (Algorithm 2: units resampled, weights re-estimated)
  and the fixed-weights ``jackknife`` (Algorithm 3). Bootstrap and jackknife need at
  least two treated units (R returns NA with one); the placebo needs more controls
  than treated units. Intervals are ``estimate +- z * se`` as in the package; the
  per-period standard errors of the effect path come from the same replications.
  ``placebo_in_time`` is R's ``synthdid_placebo`` (a fake start date in the pre-period).

Hand-written rather than taken from a Python port: the maintained port we test
against (``diff-diff``, a test-only oracle) implements SDID only, not the SC and DiD
variants on the same footing, and changes its interface often; the solver here is
small (a Frank-Wolfe loop) and checked against the published Proposition 99 numbers
and against that port. Time-varying covariates (R's ``X``) are not supported.

The data-frame entry point :func:`synth_did` takes the project's vocabulary
(``yname``, ``tname``, ``idname`` and the treatment as a 0/1 column ``dname`` or a
first-treated period ``gname``, 0 = never) and returns a :class:`SynthDiDResult`
whose ``tidy()`` has the overall effect and its path; ``unit_weights()``,
``time_weights()`` and ``effect_path()`` are tidy frames too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.did.results import DiDResult, _jsonable, conform_tidy

__all__ = [
    "SynthDiDResult", "SynthEstimate", "synth_did", "synthdid_estimate", "sc_estimate", "did_estimate",
    "panel_matrices", "synthdid_se", "effect_curve", "placebo_in_time", "METHODS", "SE_METHODS",
]

METHODS = ("sdid", "sc", "did")
SE_METHODS = ("placebo", "bootstrap", "jackknife", "none")
ESTIMATOR_NAMES = {"sdid": "synthdid", "sc": "synthetic_control", "did": "did_block"}


# --------------------------------------------------------------------------- solver
def sparsify_function(v: np.ndarray) -> np.ndarray:
    """R's ``sparsify_function`` (row-wise): zero the weights at most a quarter of the largest, renormalise."""
    v = np.where(v <= v.max(axis=-1, keepdims=True) / 4, 0.0, v)
    return v / v.sum(axis=-1, keepdims=True)


def _sum_normalize(x: np.ndarray) -> np.ndarray:
    """R's ``sum_normalize``: ``x / sum(x)``, uniform weights when ``x`` sums to zero."""
    s = x.sum()
    return x / s if s != 0 else np.full(len(x), 1.0 / len(x))


def sc_weight_fw(Y: np.ndarray, zeta: float, intercept: bool = True, lam: np.ndarray | None = None,
                 min_decrease: float = 1e-3, max_iter: int = 1000) -> np.ndarray:
    """Frank-Wolfe with exact line search for ``min zeta^2 |l|^2 + |A l - b|^2 / n`` over the simplex.

    R ``sc.weight.fw``: ``Y`` is ``n x (k + 1)`` (``A`` = first ``k`` columns, ``b`` = the
    last), or a stack ``B x n x (k + 1)`` of same-shaped problems solved together (the
    placebo and bootstrap replications); ``lam`` is the start (default uniform). Stops
    when an iteration lowers the objective by at most ``min_decrease^2`` (after at least
    two iterations) or after ``max_iter`` iterations, problem by problem.

    Written with the Gram matrix ``H = A'A + eta I``: the FW direction ``d = e_i - l``
    gives the line search ``-g / d'Hd`` and the exact decrease ``-(2 s g + s^2 d'Hd) / n``
    from ``h = H l``, updated along each step - R's arithmetic up to rounding, without
    an ``n``-length product per iteration, and vectorised over problems.
    """
    single = Y.ndim == 2
    Y = np.asarray(Y, dtype=float)[None] if single else np.asarray(Y, dtype=float)
    B, n, k = Y.shape[0], Y.shape[1], Y.shape[2] - 1
    lam = np.full((B, k), 1.0 / k) if lam is None else np.array(lam, dtype=float).reshape(B, k)
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :k], Y[:, :, k]
    eta = n * zeta**2
    H = np.einsum("bnk,bnj->bkj", A, A) + eta * np.eye(k)
    atb = np.einsum("bnk,bn->bk", A, b)
    threshold = min_decrease**2
    if B == 1:
        out = _fw_one(H[0], atb[0], lam[0], n, threshold, max_iter)
        return out if single else out[None]
    out = lam.copy()
    idx = np.arange(B)  # problems still running; the arrays below hold only those
    h = np.einsum("bkj,bj->bk", H, lam)
    t = 0
    while t < max_iter and len(idx):
        t += 1
        rows = np.arange(len(idx))
        hg = h - atb
        i = np.argmin(hg, axis=1)
        g = hg[rows, i] - np.einsum("bk,bk->b", hg, lam)                  # half-gradient . d
        D = H[rows, i, i] - 2 * h[rows, i] + np.einsum("bk,bk->b", lam, h)  # d' H d
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(D > 0, np.clip(-g / D, 0.0, 1.0), 0.0)
        lam *= (1 - step)[:, None]
        lam[rows, i] += step
        h *= (1 - step)[:, None]
        h += step[:, None] * H[rows, :, i]
        if t % 100 == 0:  # keep h = H l exact despite rounding in the updates
            h = np.einsum("bkj,bj->bk", H, lam)
        decrease = -(2 * step * g + step**2 * D) / n
        if t >= 2 and not (go := decrease > threshold).all():
            out[idx] = lam
            idx, H, atb, h, lam = idx[go], H[go], atb[go], h[go], lam[go]
    out[idx] = lam
    return out[0] if single else out


def _fw_one(H: np.ndarray, atb: np.ndarray, lam: np.ndarray, n: int, threshold: float, max_iter: int) -> np.ndarray:
    """:func:`sc_weight_fw`'s loop for a single problem, with scalar bookkeeping (several times faster)."""
    lam = lam.copy()
    h = H @ lam
    diag = np.diag(H).copy()
    t = 0
    while t < max_iter:
        t += 1
        hg = h - atb
        i = int(hg.argmin())
        g = float(hg[i] - hg @ lam)
        D = float(diag[i] - 2 * h[i] + lam @ h)
        step = min(1.0, max(0.0, -g / D)) if D > 0 else 0.0
        lam *= 1 - step
        lam[i] += step
        h *= 1 - step
        h += step * H[i]  # H is symmetric: row i is column i
        if t % 100 == 0:
            h = H @ lam
        if t >= 2 and -(2 * step * g + step * step * D) / n <= threshold:
            break
    return lam


def collapsed_form(Y: np.ndarray, n0: int, t0: int) -> np.ndarray:
    """R ``collapsed.form``: average the treated rows and the post columns -> ``(N0+1) x (T0+1)``.

    Works on a stack ``B x N x T`` too (last two axes).
    """
    top = np.concatenate([Y[..., :n0, :t0], Y[..., :n0, t0:].mean(axis=-1, keepdims=True)], axis=-1)
    bottom = np.concatenate([Y[..., n0:, :t0].mean(axis=-2), Y[..., n0:, t0:].mean(axis=(-2, -1))[..., None]],
                            axis=-1)
    return np.concatenate([top, bottom[..., None, :]], axis=-2)


def _fit_weights(Yc: np.ndarray, zeta: float, intercept: bool, start, min_decrease: float, max_iter: int,
                 sparsify: Callable | None, max_iter_pre_sparsify: int) -> np.ndarray:
    """Two-round fit of R ``synthdid_estimate``: ``max_iter_pre_sparsify`` iterations, sparsify, refit."""
    w = sc_weight_fw(Yc, zeta, intercept, start, min_decrease, max_iter if sparsify is None else max_iter_pre_sparsify)
    if sparsify is not None:
        w = sc_weight_fw(Yc, zeta, intercept, sparsify(w), min_decrease, max_iter)
    return w


def _solve(Ys: np.ndarray, n0: int, t0: int, omega: np.ndarray | None, lam: np.ndarray | None,
           opts: dict[str, Any], sparsify: Callable | None, max_iter_pre_sparsify: int):
    """Weights for a stack ``B x N x T`` of panels of the same shape -> ``(omega B x n0, lam B x t0)``."""
    B = Ys.shape[0]
    Yc = collapsed_form(Ys, n0, t0)
    common = dict(min_decrease=opts["min_decrease"], max_iter=opts["max_iter"], sparsify=sparsify,
                  max_iter_pre_sparsify=max_iter_pre_sparsify)
    if opts["update_lambda"]:
        lam = _fit_weights(Yc[:, :n0, :], opts["zeta_lambda"], opts["lambda_intercept"], lam, **common)
    if opts["update_omega"]:
        omega = _fit_weights(np.swapaxes(Yc[:, :, :t0], 1, 2), opts["zeta_omega"], opts["omega_intercept"], omega,
                             **common)
    return np.broadcast_to(omega, (B, n0)), np.broadcast_to(lam, (B, t0))


def _estimates(Ys: np.ndarray, n0: int, t0: int, omega: np.ndarray, lam: np.ndarray):
    """Block estimates and effect curves (all periods) for a stack of panels and weights."""
    n, t = Ys.shape[1:]
    B = Ys.shape[0]
    row = np.concatenate([-omega, np.full((B, n - n0), 1.0 / (n - n0))], axis=1)
    tau_sc = np.einsum("bn,bnt->bt", row, Ys)
    curve = tau_sc - np.einsum("bt,bt->b", tau_sc[:, :t0], lam)[:, None]
    return curve[:, t0:].mean(axis=1), curve


@dataclass
class SynthEstimate:
    """A fitted block estimator on the matrix ``Y`` (R's ``synthdid_estimate`` object)."""

    estimate: float
    Y: np.ndarray
    n0: int
    t0: int
    omega: np.ndarray
    lam: np.ndarray
    opts: dict[str, Any]
    method: str
    noise_level: float
    curve: np.ndarray

    @property
    def n1(self) -> int:
        return self.Y.shape[0] - self.n0

    @property
    def t1(self) -> int:
        return self.Y.shape[1] - self.t0


def synthdid_estimate(
    Y: np.ndarray, n0: int, t0: int, *,
    noise_level: float | None = None, eta_omega: float | None = None, eta_lambda: float = 1e-6,
    zeta_omega: float | None = None, zeta_lambda: float | None = None,
    omega_intercept: bool = True, lambda_intercept: bool = True,
    omega: np.ndarray | None = None, lam: np.ndarray | None = None,
    update_omega: bool | None = None, update_lambda: bool | None = None,
    min_decrease: float | None = None, max_iter: int = 10_000,
    sparsify: Callable | None = sparsify_function, max_iter_pre_sparsify: int = 100,
    method: str = "sdid",
) -> SynthEstimate:
    """Synthetic DiD on a block design (R ``synthdid_estimate``, Algorithm 1), no covariates.

    Rows ``0..n0-1`` of ``Y`` are controls, columns ``0..t0-1`` pre-periods. Passing
    ``omega``/``lam`` fixes those weights (or, with ``update_*=True``, starts the solver there).
    """
    Y = np.asarray(Y, dtype=float)
    n, t = Y.shape
    if not (0 < n0 < n and 0 < t0 < t):
        raise ValueError(f"need at least one control and one treated unit, one pre- and one post-period "
                         f"(got N0={n0} of {n} units, T0={t0} of {t} periods)")
    if not np.isfinite(Y).all():
        raise ValueError("the outcome matrix has missing or infinite values")
    if noise_level is None:
        diffs = np.diff(Y[:n0, :t0], axis=1)
        noise_level = float(diffs.std(ddof=1)) if diffs.size > 1 else 0.0
    if eta_omega is None:
        eta_omega = ((n - n0) * (t - t0)) ** 0.25
    update_omega = omega is None if update_omega is None else update_omega
    update_lambda = lam is None if update_lambda is None else update_lambda
    if omega is None and not update_omega or lam is None and not update_lambda:
        raise ValueError("fixed weights (update_*=False) must be passed")
    opts = dict(
        zeta_omega=eta_omega * noise_level if zeta_omega is None else zeta_omega,
        zeta_lambda=eta_lambda * noise_level if zeta_lambda is None else zeta_lambda,
        omega_intercept=omega_intercept, lambda_intercept=lambda_intercept,
        update_omega=update_omega, update_lambda=update_lambda,
        min_decrease=1e-5 * noise_level if min_decrease is None else min_decrease, max_iter=int(max_iter),
    )
    om, la = _solve(Y[None], n0, t0, None if omega is None else np.asarray(omega, float)[None],
                    None if lam is None else np.asarray(lam, float)[None], opts, sparsify, max_iter_pre_sparsify)
    est, curve = _estimates(Y[None], n0, t0, om, la)
    return SynthEstimate(float(est[0]), Y, n0, t0, om[0].copy(), la[0].copy(), opts, method, noise_level,
                         curve[0])


def sc_estimate(Y: np.ndarray, n0: int, t0: int, *, eta_omega: float = 1e-6, **kwargs) -> SynthEstimate:
    """Synthetic control (R ``sc_estimate``): no time weights, no intercept, near-zero ridge."""
    return synthdid_estimate(Y, n0, t0, eta_omega=eta_omega, lam=np.zeros(t0), omega_intercept=False,
                             method="sc", **kwargs)


def did_estimate(Y: np.ndarray, n0: int, t0: int, **kwargs) -> SynthEstimate:
    """Difference in differences as the block estimator with uniform weights (R ``did_estimate``)."""
    return synthdid_estimate(Y, n0, t0, lam=np.full(t0, 1.0 / t0), omega=np.full(n0, 1.0 / n0),
                             method="did", **kwargs)


def effect_curve(est: SynthEstimate) -> np.ndarray:
    """Per-period effects over all ``T`` periods (R ``synthdid_effect_curve`` gives the post part).

    ``tau_sc[t] - sum_s lambda_s tau_sc[s]`` with ``tau_sc`` the treated mean minus the
    omega-weighted control mean; pre-period values show how well the weighted controls
    track the treated units (zero on average under the lambda weights).
    """
    return est.curve


def placebo_in_time(est: SynthEstimate, treated_fraction: float | None = None) -> SynthEstimate:
    """R ``synthdid_placebo``: the same estimator on the pre-period only, with a fake start date.

    The last ``treated_fraction`` of the pre-periods (default: the post share of the
    panel, ``T1 / T``) play the post-period; an estimate far from zero warns that the
    weighted controls would not have tracked the treated units.
    """
    if treated_fraction is None:
        treated_fraction = est.t1 / est.Y.shape[1]
    t0 = int(np.floor(est.t0 * (1 - treated_fraction)))
    if t0 < 1:
        raise ValueError(f"too few pre-periods ({est.t0}) for an in-time placebo")
    opts = {k: v for k, v in est.opts.items() if k not in ("update_omega", "update_lambda")}
    estimator = {"sdid": synthdid_estimate, "sc": sc_estimate, "did": did_estimate}[est.method]
    if est.method == "sc":
        opts.pop("omega_intercept")  # sc_estimate sets it
    return estimator(est.Y[:, : est.t0], est.n0, t0, **opts)


# ------------------------------------------------------------------ standard errors
def _refit_many(est: SynthEstimate, rows: list[np.ndarray], n0s: list[int], omega_starts: list[np.ndarray],
                opts: dict | None = None):
    """Re-estimate on row subsets with ``est``'s tuning (R's ``do.call(synthdid_estimate, opts)``).

    Problems with the same number of controls are solved together. Returns the
    estimates and effect curves in the order of ``rows``.
    """
    opts = est.opts if opts is None else opts
    T = est.Y.shape[1]
    ests, curves = np.empty(len(rows)), np.empty((len(rows), T))
    for m0 in sorted(set(n0s)):
        sel = [j for j, m in enumerate(n0s) if m == m0]
        Ys = np.stack([est.Y[rows[j]] for j in sel])
        om0 = np.stack([omega_starts[j] for j in sel])
        la0 = np.broadcast_to(est.lam, (len(sel), est.t0)).copy()
        om, la = _solve(Ys, m0, est.t0, om0, la0, opts, sparsify_function, 100)
        e, c = _estimates(Ys, m0, est.t0, om, la)
        ests[sel], curves[sel] = e, c
    return ests, curves


def _replicate_se(values: np.ndarray) -> np.ndarray:
    """R's ``sqrt((r - 1) / r) * sd(.)`` over replications (axis 0)."""
    r = values.shape[0]
    return np.sqrt((r - 1) / r) * values.std(axis=0, ddof=1)


def synthdid_se(est: SynthEstimate, method: str = "placebo", replications: int = 200,
                seed: int | None = None) -> dict[str, Any]:
    """Standard error of the estimate and of its per-period path (R ``vcov.synthdid_estimate``).

    Returns ``dict(se, curve_se, draws, available, reason)``; ``draws`` are the
    replicate estimates (placebo and bootstrap) or leave-one-out estimates (jackknife).
    When the method is not defined for the design, ``se`` is NaN and ``reason`` says why.
    """
    if method not in SE_METHODS:
        raise ValueError(f"se_method must be one of {SE_METHODS}, got {method!r}")
    out = dict(se=np.nan, curve_se=np.full(est.Y.shape[1], np.nan), draws=np.array([]), available=False, reason="")
    if method == "none":
        out["reason"] = "no standard error requested"
        return out
    n, n0, n1 = est.Y.shape[0], est.n0, est.n1
    rng = np.random.default_rng(seed)
    if method == "placebo":
        if n0 <= n1:
            out["reason"] = "the placebo needs more control units than treated units"
            return out
        m0 = n0 - n1
        rows = [rng.permutation(n0) for _ in range(replications)]
        u, curves = _refit_many(est, rows, [m0] * replications, [_sum_normalize(est.omega[r[:m0]]) for r in rows])
    elif method == "bootstrap":
        if n1 == 1:
            out["reason"] = "the bootstrap is not defined with one treated unit (use the placebo)"
            return out
        rows = []
        while len(rows) < replications:
            ind = np.sort(rng.integers(0, n, size=n))
            if (ind < n0).all() or (ind >= n0).all():
                continue  # R redraws samples without a control or without a treated unit
            rows.append(ind)
        n0s = [int((r < n0).sum()) for r in rows]
        u, curves = _refit_many(est, rows, n0s, [_sum_normalize(est.omega[r[r < n0]]) for r in rows])
    else:  # fixed-weights jackknife (Algorithm 3)
        if n1 == 1:
            out["reason"] = "the jackknife is not defined with one treated unit (use the placebo)"
            return out
        if np.count_nonzero(est.omega) == 1:
            out["reason"] = "the fixed-weights jackknife is not defined with one control of non-zero weight"
            return out
        rows = [np.delete(np.arange(n), drop) for drop in range(n)]
        n0s = [int((r < n0).sum()) for r in rows]
        fixed = dict(est.opts, update_omega=False, update_lambda=False)
        u, curves = _refit_many(est, rows, n0s, [_sum_normalize(est.omega[r[r < n0]]) for r in rows], fixed)
        # R's jackknife(): sqrt(((n - 1) / n) * (n - 1) * var(u))
        out.update(se=float(np.sqrt((n - 1) ** 2 / n * u.var(ddof=1))),
                   curve_se=np.sqrt((n - 1) ** 2 / n * curves.var(axis=0, ddof=1)), draws=u, available=True)
        return out
    out.update(se=float(_replicate_se(u)), curve_se=_replicate_se(curves), draws=u, available=True)
    return out


# --------------------------------------------------------------------- data frames
@dataclass
class PanelMatrices:
    """A long panel as the block matrix: controls first (sorted by id), then treated units."""

    Y: np.ndarray
    n0: int
    t0: int
    units: np.ndarray
    periods: np.ndarray


def _treated_from_gname(data: pd.DataFrame, tname: str, gname: str) -> pd.Series:
    g = pd.to_numeric(data[gname], errors="coerce")
    if g.isna().any():
        raise ValueError(f"column {gname!r}: {int(g.isna().sum())} missing or non-numeric values "
                         "(first treated period, 0 = never treated)")
    return ((g > 0) & (data[tname] >= g)).astype(int)


def panel_matrices(data: pd.DataFrame, yname: str, tname: str, idname: str, *, dname: str | None = None,
                   gname: str | None = None) -> PanelMatrices:
    """R ``panel.matrices``: check a balanced block design and reshape it (controls first)."""
    if (dname is None) == (gname is None):
        raise ValueError("give the treatment as exactly one of dname (0/1 column) or gname (first treated period)")
    for col in (yname, tname, idname, dname or gname):
        if col not in data.columns:
            raise KeyError(f"column {col!r} is not in the data (columns: {list(data.columns)})")
    frame = data[[idname, tname, yname]].copy()
    if dname is not None:
        d = pd.to_numeric(data[dname], errors="coerce")
        bad = ~d.isin([0, 1])
        if bad.any():
            raise ValueError(f"column {dname!r}: treatment must be 0 or 1 (row {int(np.flatnonzero(bad)[0])})")
        frame["_d"] = d.astype(int).to_numpy()
    else:
        frame["_d"] = _treated_from_gname(data, tname, gname).to_numpy()
    y = pd.to_numeric(frame[yname], errors="coerce")
    if y.isna().any():
        row = int(np.flatnonzero(y.isna().to_numpy())[0])
        raise ValueError(f"column {yname!r}: missing or non-numeric outcome (row {row}); "
                         "synthetic DiD needs a balanced panel without gaps")
    frame[yname] = y
    if frame.duplicated([idname, tname]).any():
        row = int(np.flatnonzero(frame.duplicated([idname, tname]).to_numpy())[0])
        raise ValueError(f"columns {idname!r}, {tname!r}: more than one row per unit and period (row {row})")
    wide = frame.pivot(index=idname, columns=tname, values=yname).sort_index(axis=1)
    treat = frame.pivot(index=idname, columns=tname, values="_d").reindex_like(wide)
    if wide.isna().any().any():
        missing = int(wide.isna().sum().sum())
        raise ValueError(f"the panel is unbalanced: {missing} unit-period cells of {yname!r} are missing "
                         f"(columns {idname!r} x {tname!r}); synthetic DiD needs every unit in every period")
    W = treat.to_numpy(dtype=int)
    ever = W.any(axis=1)
    if not ever.any():
        raise ValueError("no unit is ever treated: nothing to estimate")
    if ever.all():
        raise ValueError("every unit is treated: synthetic DiD needs control units")
    first_col = int(np.flatnonzero(W.any(axis=0))[0])
    if first_col == 0:
        raise ValueError("treatment starts in the first period: there are no pre-treatment periods")
    if W[~ever].any() or W[:, :first_col].any() or not W[ever, first_col:].all():
        raise ValueError("treatment adoption is not simultaneous (a block): every treated unit must be treated "
                         "from the same period on and stay treated; use att_gt for staggered adoption")
    order = np.concatenate([np.flatnonzero(~ever), np.flatnonzero(ever)])  # ids already sorted by pivot
    return PanelMatrices(wide.to_numpy(float)[order], int((~ever).sum()), first_col,
                         wide.index.to_numpy()[order], wide.columns.to_numpy())


@dataclass(repr=False, eq=False)
class SynthDiDResult(DiDResult):
    """Synthetic DiD / SC / DiD block estimate with its weights, path and inference.

    ``tidy()`` has one ``overall`` row (term ``ATT``) and one ``effect_path`` row per
    period (``event_time`` 0 = first treated period; pre-period rows are the fit gaps).
    """

    fit: SynthEstimate | None = None
    units: np.ndarray | None = None
    periods: np.ndarray | None = None
    se_info: dict = field(default_factory=dict)

    @property
    def estimate(self) -> float:
        return float(self.fit.estimate)

    @property
    def se(self) -> float:
        return float(self.se_info.get("se", np.nan))

    def unit_weights(self) -> pd.DataFrame:
        """One row per unit: ``<idname>``, ``treated``, ``weight`` (omega for controls, 1/N_tr for treated)."""
        f = self.fit
        return pd.DataFrame({
            self.params["idname"]: self.units,
            "treated": np.r_[np.zeros(f.n0, bool), np.ones(f.n1, bool)],
            "weight": np.r_[f.omega, np.full(f.n1, 1.0 / f.n1)],
        })

    def time_weights(self) -> pd.DataFrame:
        """One row per period: ``<tname>``, ``post``, ``weight`` (lambda before, 1/T_post after)."""
        f = self.fit
        return pd.DataFrame({
            self.params["tname"]: self.periods,
            "post": np.r_[np.zeros(f.t0, bool), np.ones(f.t1, bool)],
            "weight": np.r_[f.lam, np.full(f.t1, 1.0 / f.t1)],
        })

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`DiDResult.to_dict`, plus the unit and time weights as records."""
        out = super().to_dict()
        out["unit_weights"] = self.unit_weights().astype({self.params["idname"]: str}).to_dict(orient="records")
        out["time_weights"] = self.time_weights().to_dict(orient="records")
        return _jsonable(out)

    def effect_path(self) -> pd.DataFrame:
        """The ``effect_path`` rows of :meth:`tidy` (period, event time, estimate, interval)."""
        t = self.tidy()
        return t[t["type"] == "effect_path"].reset_index(drop=True)


def synth_did(
    data: pd.DataFrame, yname: str, tname: str, idname: str, *,
    dname: str | None = None, gname: str | None = None,
    method: str = "sdid", se_method: str = "placebo", replications: int = 200,
    seed: int | None = None, alp: float = 0.05, **tuning,
) -> SynthDiDResult:
    """Synthetic DiD (``method="sdid"``), synthetic control (``"sc"``) or DiD (``"did"``).

    ``data`` is a balanced long panel; the treatment is a 0/1 column ``dname`` or a
    first-treated period ``gname`` (0 = never treated), and all treated units must
    adopt in the same period. ``se_method``: ``"placebo"`` (default, works with one
    treated unit), ``"bootstrap"``, ``"jackknife"`` (two or more treated units) or
    ``"none"``; ``replications`` and ``seed`` drive placebo and bootstrap draws.
    ``tuning`` passes R's options (``eta_omega``, ``eta_lambda``, ``min_decrease``,
    ``max_iter``, ``sparsify``, ``max_iter_pre_sparsify``, ...) to the estimator.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if se_method not in SE_METHODS:
        raise ValueError(f"se_method must be one of {SE_METHODS}, got {se_method!r}")
    if not 0 < alp < 1:
        raise ValueError(f"alp must be in (0, 1), got {alp}")
    pm = panel_matrices(data, yname, tname, idname, dname=dname, gname=gname)
    estimator = {"sdid": synthdid_estimate, "sc": sc_estimate, "did": did_estimate}[method]
    fit = estimator(pm.Y, pm.n0, pm.t0, **tuning)
    info = synthdid_se(fit, se_method, replications=replications, seed=seed)
    z = float(norm.ppf(1 - alp / 2))
    name = ESTIMATOR_NAMES[method]
    se, curve, curve_se = info["se"], effect_curve(fit), info["curve_se"]

    def p_value(est, s):
        return 2 * norm.sf(np.abs(est / s)) if np.isfinite(s) and s > 0 else np.nan

    rows = [dict(estimator=name, type="overall", term="ATT", estimate=fit.estimate, std_error=se,
                 conf_low=fit.estimate - z * se, conf_high=fit.estimate + z * se,
                 p_value=p_value(fit.estimate, se), n=float(fit.n1))]
    for j, period in enumerate(pm.periods):
        e = j - fit.t0
        rows.append(dict(estimator=name, type="effect_path", term=f"effect({period})", period=period,
                         event_time=float(e), estimate=curve[j], std_error=curve_se[j],
                         conf_low=curve[j] - z * curve_se[j], conf_high=curve[j] + z * curve_se[j],
                         p_value=p_value(curve[j], curve_se[j]), n=float(fit.n1)))
    draws = info["draws"]
    extra = dict(
        n_control=fit.n0, n_treated=fit.n1, n_pre=fit.t0, n_post=fit.t1,
        noise_level=fit.noise_level, zeta_omega=fit.opts["zeta_omega"], zeta_lambda=fit.opts["zeta_lambda"],
        effective_controls=float(1 / np.sum(fit.omega**2)),
        effective_pre_periods=float(1 / np.sum(fit.lam**2)) if fit.lam.any() else 0.0,
        se_available=info["available"], se_note=info["reason"],
        # share of placebo effects at least as large as the estimate (in-space placebo test)
        placebo_p_value=(float((1 + np.sum(np.abs(draws) >= abs(fit.estimate))) / (1 + len(draws)))
                         if se_method == "placebo" and info["available"] else np.nan),
        treated_units=[str(u) for u in pm.units[fit.n0:]],
        first_treated_period=np.asarray(pm.periods)[fit.t0].item(),
    )
    params = dict(yname=yname, tname=tname, idname=idname, dname=dname, gname=gname, method=method,
                  se_method=se_method, replications=int(replications), seed=seed, alp=float(alp),
                  **{k: v for k, v in tuning.items() if not callable(v)})
    return SynthDiDResult(estimator=name, table=conform_tidy(pd.DataFrame(rows)), params=params, extra=extra,
                          fit=fit, units=pm.units, periods=pm.periods, se_info=info)
