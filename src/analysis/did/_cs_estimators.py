"""Two-group, two-period DiD estimators with their influence functions (DRDID port).

Each function is a numpy transcription of the R package DRDID (Sant'Anna and Zhao
2020), the 2x2 kernels R ``did`` calls for every ATT(g,t):

* panel: ``reg_did_panel`` (outcome regression), ``std_ipw_did_panel`` (normalised
  IPW, Abadie 2005) and ``drdid_panel`` (locally efficient doubly robust);
* repeated cross-sections: ``reg_did_rc``, ``std_ipw_did_rc`` and ``drdid_rc``
  (locally efficient doubly robust for repeated cross-sections).

Inputs: the outcome (panel: the change ``dY = Y_t - Y_base``, possibly one column
per cell; repeated cross-sections: ``y`` and a 0/1 ``post``), a 0/1 treatment
indicator ``D``, a design ``X`` whose first column is the intercept, and sampling
weights ``w``. Outputs ``(att, inf)`` with ``inf`` the influence function of the 2x2
ATT, one entry per observation, in DRDID's scaling (``se = sqrt(mean(inf^2)/n)``). Weights are normalised to mean one and
propensity scores are trimmed exactly as DRDID does (controls with p >= 0.995 get
zero weight, p capped at 1 - 1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

_EPS = np.finfo(float).eps
TRIM_LEVEL = 0.995


class CellError(ValueError):
    """A 2x2 cell cannot be estimated (singular design, no overlap, empty group)."""


@dataclass
class PScore:
    """A fitted propensity score: fitted values and the Hessian term of its IF."""

    p: np.ndarray  # fitted probabilities, capped at 1 - 1e-6
    hessian: np.ndarray  # n * (X' diag(w p (1-p)) X)^{-1}, as DRDID's vcov(glm) * n


def _inv_checked(mat: np.ndarray, what: str) -> np.ndarray:
    # Same guard as DRDID: reciprocal condition number below machine epsilon -> singular.
    try:
        cond = np.linalg.cond(mat, 1)
    except np.linalg.LinAlgError:
        cond = np.inf
    if not np.isfinite(cond) or 1.0 / cond < _EPS:
        raise CellError(f"The {what} design matrix is singular; consider removing covariates")
    return np.linalg.inv(mat)


def wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares coefficients via the normal equations (k is small)."""
    if (w > 0).sum() < X.shape[1]:
        raise CellError("Too few observations with positive weight for the outcome regression")
    Xw = X * w[:, None]
    xtx = Xw.T @ X
    inv = _inv_checked(xtx / len(y), "outcome regression")
    return inv @ (Xw.T @ y) / len(y)


def logit(D: np.ndarray, X: np.ndarray, w: np.ndarray, *, tol: float = 1e-10, maxiter: int = 100) -> PScore:
    """Weighted logit by Newton-Raphson (the MLE ``glm(binomial)`` converges to)."""
    n, k = X.shape
    if k == 1:
        # Intercept only: the MLE is the weighted share of treated, in closed form.
        pbar = float(np.sum(w * D) / np.sum(w))
        if not 0 < pbar < 1:
            raise CellError("Propensity score is degenerate (all treated or all control)")
        p = np.full(n, pbar)
    else:
        # glm's starting values: mu = (w*y + 0.5)/(w + 1), eta = logit(mu).
        mu0 = (w * D + 0.5) / (w + 1.0)
        beta = wls(np.log(mu0 / (1 - mu0)), X, w * mu0 * (1 - mu0))

        def deviance(b):
            eta = X @ b
            return 2.0 * np.sum(w * (np.logaddexp(0.0, eta) - D * eta)), eta

        dev, eta = deviance(beta)
        for _ in range(maxiter):
            p = expit(eta)
            info = (X * (w * p * (1 - p))[:, None]).T @ X
            try:
                step = np.linalg.solve(info, X.T @ (w * (D - p)))
            except np.linalg.LinAlgError as err:
                raise CellError("Propensity score information matrix is singular") from err
            # Newton step, halved while the deviance does not decrease (as glm does on divergence).
            for _half in range(40):
                new_dev, new_eta = deviance(beta + step)
                if np.isfinite(new_dev) and new_dev <= dev + 1e-12 * (abs(dev) + 1):
                    break
                step = step / 2
            else:
                raise CellError("Propensity score logit did not converge")
            beta = beta + step
            converged = np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))) or (
                abs(dev - new_dev) < 1e-14 * (abs(new_dev) + 0.1)
            )
            dev, eta = new_dev, new_eta
            if converged:
                break
        else:
            raise CellError("Propensity score logit did not converge (perfect separation?)")
        p = expit(X @ beta)
    if np.max(p) >= 0.999 and k > 1:
        raise CellError("Overlap violated: some propensity scores are >= 0.999")
    p = np.minimum(p, 1 - 1e-6)
    wp = w * p * (1 - p)
    info = (X * wp[:, None]).T @ X
    hess = _inv_checked(info, "propensity score") * n
    return PScore(p=p, hessian=hess)


def _trim(p: np.ndarray, D: np.ndarray) -> np.ndarray:
    keep = np.ones(len(p), dtype=bool)
    ctrl = D == 0
    keep[ctrl] = p[ctrl] < TRIM_LEVEL
    return keep.astype(float)


def _norm_weights(w: np.ndarray) -> np.ndarray:
    m = w.mean()
    if not np.isfinite(m) or m <= 0:
        raise CellError("Weights must have a positive mean within the cell")
    return w / m


def _require(*masses: np.ndarray) -> None:
    for m in masses:
        if not np.mean(m) > 0:
            raise CellError("A treatment/period group has no positive weight after trimming")


# ----------------------------------------------------------------------------- panel
#
# The panel estimators are batched: ``dY`` is (n x m), one column per ATT(g,t) cell
# that shares the sample, covariates, weights and propensity score (e.g. every
# cell of a cohort against the never treated). Every DRDID formula is linear in the
# outcome given those, so a column of the result equals the single-cell estimator.
# Terms like ``asy_lin_rep_ols @ M`` are computed as ``(w_ols * resid) * (X @ (XpX^-1 M))``
# so that no (n x k) matrix per cell is formed.


def _as_2d(dY):
    dY = np.asarray(dY, dtype=float)
    return (dY[:, None], True) if dY.ndim == 1 else (dY, False)


def _ols_controls(dY, X, w, ctrl, n):
    """Control-group WLS of every column of dY on X: fitted values and (X'WX/n)^-1."""
    if (w[ctrl] > 0).sum() < X.shape[1]:
        raise CellError("Too few comparison units with positive weight for the outcome regression")
    w_ols = w * ctrl
    xpx_inv = _inv_checked((X * w_ols[:, None]).T @ X / n, "outcome regression")
    beta = xpx_inv @ ((X * w_ols[:, None]).T @ dY / n)
    return X @ beta, xpx_inv, w_ols


def reg_did_panel(dY, D, X, w, ps: PScore | None = None):
    """Outcome-regression DiD (DRDID ``reg_did_panel``); ``ps`` is ignored."""
    dY, one = _as_2d(dY)
    w = _norm_weights(w)
    n = len(D)
    out, xpx_inv, w_ols = _ols_controls(dY, X, w, D == 0, n)
    w_treat = w * D
    _require(w_treat)
    m_wt = w_treat.mean()
    eta_treat = (w_treat @ dY) / n / m_wt
    eta_cont = (w_treat @ out) / n / m_wt
    a1 = X @ (xpx_inv @ (X * w_treat[:, None]).mean(axis=0))
    inf_treat = w_treat[:, None] * (dY - eta_treat) / m_wt
    inf_control = (w_treat[:, None] * (out - eta_cont) + (w_ols * a1)[:, None] * (dY - out)) / m_wt
    att, inf = eta_treat - eta_cont, inf_treat - inf_control
    return (att[0], inf[:, 0]) if one else (att, inf)


def std_ipw_did_panel(dY, D, X, w, ps: PScore | None = None):
    """Normalised (Hajek) IPW DiD of Abadie (2005) (DRDID ``std_ipw_did_panel``)."""
    dY, one = _as_2d(dY)
    w = _norm_weights(w)
    n = len(D)
    if ps is None:
        ps = logit(D, X, w)
    p = ps.p
    trim = _trim(p, D)
    w_treat = trim * w * D
    w_cont = trim * w * p * (1 - D) / (1 - p)
    _require(w_treat, w_cont)
    m_wt, m_wc = w_treat.mean(), w_cont.mean()
    eta_treat = (w_treat @ dY) / n / m_wt
    eta_cont = (w_cont @ dY) / n / m_wc
    asy_ps = (X * (w * (D - p))[:, None]) @ ps.hessian
    dc = w_cont[:, None] * (dY - eta_cont)
    M2 = X.T @ dc / n
    inf_treat = w_treat[:, None] * (dY - eta_treat) / m_wt
    inf_control = (dc + asy_ps @ M2) / m_wc
    att, inf = eta_treat - eta_cont, inf_treat - inf_control
    return (att[0], inf[:, 0]) if one else (att, inf)


def drdid_panel(dY, D, X, w, ps: PScore | None = None):
    """Locally efficient doubly robust DiD for panel data (DRDID ``drdid_panel``)."""
    dY, one = _as_2d(dY)
    w = _norm_weights(w)
    n = len(D)
    if ps is None:
        ps = logit(D, X, w)
    p = ps.p
    trim = _trim(p, D)
    out, xpx_inv, w_ols = _ols_controls(dY, X, w, D == 0, n)
    w_treat = trim * w * D
    w_cont = trim * w * p * (1 - D) / (1 - p)
    _require(w_treat, w_cont)
    m_wt, m_wc = w_treat.mean(), w_cont.mean()
    resid = dY - out
    eta_treat = (w_treat @ resid) / n / m_wt
    eta_cont = (w_cont @ resid) / n / m_wc
    asy_ps = (X * (w * (D - p))[:, None]) @ ps.hessian
    a1 = X @ (xpx_inv @ (X * w_treat[:, None]).mean(axis=0))
    a3 = X @ (xpx_inv @ (X * w_cont[:, None]).mean(axis=0))
    dc = w_cont[:, None] * (resid - eta_cont)
    M2 = X.T @ dc / n
    inf_treat = (w_treat[:, None] * (resid - eta_treat) - (w_ols * a1)[:, None] * resid) / m_wt
    inf_control = (dc + asy_ps @ M2 - (w_ols * a3)[:, None] * resid) / m_wc
    att, inf = eta_treat - eta_cont, inf_treat - inf_control
    return (att[0], inf[:, 0]) if one else (att, inf)


# ----------------------------------------------------------------- repeated cross-sections


def _asy_ols(y, X, w, mask, n):
    """OLS fit on ``mask`` plus its asymptotic linear representation (n x k)."""
    beta = wls(y[mask], X[mask], w[mask])
    out = X @ beta
    w_ols = w * mask
    xpx_inv = _inv_checked((X * w_ols[:, None]).T @ X / n, "outcome regression")
    return out, (X * (w_ols * (y - out))[:, None]) @ xpx_inv


def reg_did_rc(y, post, D, X, w):
    w = _norm_weights(w)
    n = len(D)
    ctrl = D == 0
    out_pre, asy_pre = _asy_ols(y, X, w, ctrl & (post == 0), n)
    out_post, asy_post = _asy_ols(y, X, w, ctrl & (post == 1), n)
    w_treat_pre = w * D * (1 - post)
    w_treat_post = w * D * post
    w_cont = w * D
    _require(w_treat_pre, w_treat_post)
    m_pre, m_post, m_c = w_treat_pre.mean(), w_treat_post.mean(), w_cont.mean()
    att_treat_pre = w_treat_pre * y
    att_treat_post = w_treat_post * y
    att_cont = w_cont * (out_post - out_pre)
    eta_treat_pre = att_treat_pre.mean() / m_pre
    eta_treat_post = att_treat_post.mean() / m_post
    eta_cont = att_cont.mean() / m_c
    att = eta_treat_post - eta_treat_pre - eta_cont
    inf_treat_pre = (att_treat_pre - w_treat_pre * eta_treat_pre) / m_pre
    inf_treat_post = (att_treat_post - w_treat_post * eta_treat_post) / m_post
    M1 = (X * w_cont[:, None]).mean(axis=0)
    inf_control = (att_cont - w_cont * eta_cont + asy_post @ M1 - asy_pre @ M1) / m_c
    return att, (inf_treat_post - inf_treat_pre) - inf_control


def std_ipw_did_rc(y, post, D, X, w, ps: PScore | None = None):
    w = _norm_weights(w)
    if ps is None:
        ps = logit(D, X, w)
    p = ps.p
    trim = _trim(p, D)
    w_treat_pre = trim * w * D * (1 - post)
    w_treat_post = trim * w * D * post
    w_cont_pre = trim * w * p * (1 - D) * (1 - post) / (1 - p)
    w_cont_post = trim * w * p * (1 - D) * post / (1 - p)
    _require(w_treat_pre, w_treat_post, w_cont_pre, w_cont_post)
    m_tp, m_tq = w_treat_pre.mean(), w_treat_post.mean()
    m_cp, m_cq = w_cont_pre.mean(), w_cont_post.mean()
    eta_treat_pre = w_treat_pre * y / m_tp
    eta_treat_post = w_treat_post * y / m_tq
    eta_cont_pre = w_cont_pre * y / m_cp
    eta_cont_post = w_cont_post * y / m_cq
    att_treat_pre = eta_treat_pre.mean()
    att_treat_post = eta_treat_post.mean()
    att_cont_pre = eta_cont_pre.mean()
    att_cont_post = eta_cont_post.mean()
    att = (att_treat_post - att_treat_pre) - (att_cont_post - att_cont_pre)
    asy_ps = (X * (w * (D - p))[:, None]) @ ps.hessian
    inf_treat = (eta_treat_post - w_treat_post * att_treat_post / m_tq) - (
        eta_treat_pre - w_treat_pre * att_treat_pre / m_tp
    )
    inf_cont = (eta_cont_post - w_cont_post * att_cont_post / m_cq) - (
        eta_cont_pre - w_cont_pre * att_cont_pre / m_cp
    )
    M2_pre = (X * (w_cont_pre * (y - att_cont_pre))[:, None]).mean(axis=0) / m_cp
    M2_post = (X * (w_cont_post * (y - att_cont_post))[:, None]).mean(axis=0) / m_cq
    inf_cont = inf_cont + asy_ps @ (M2_post - M2_pre)
    return att, inf_treat - inf_cont


def drdid_rc(y, post, D, X, w, ps: PScore | None = None):
    w = _norm_weights(w)
    n = len(D)
    if ps is None:
        ps = logit(D, X, w)
    p = ps.p
    trim = _trim(p, D)
    ctrl, treat = D == 0, D == 1
    pre_m, post_m = post == 0, post == 1
    out_c_pre, asy_c_pre = _asy_ols(y, X, w, ctrl & pre_m, n)
    out_c_post, asy_c_post = _asy_ols(y, X, w, ctrl & post_m, n)
    out_c = post * out_c_post + (1 - post) * out_c_pre
    out_t_pre, asy_t_pre = _asy_ols(y, X, w, treat & pre_m, n)
    out_t_post, asy_t_post = _asy_ols(y, X, w, treat & post_m, n)

    w_treat_pre = trim * w * D * (1 - post)
    w_treat_post = trim * w * D * post
    w_cont_pre = trim * w * p * (1 - D) * (1 - post) / (1 - p)
    w_cont_post = trim * w * p * (1 - D) * post / (1 - p)
    w_d = trim * w * D
    w_dt1 = trim * w * D * post
    w_dt0 = trim * w * D * (1 - post)
    _require(w_treat_pre, w_treat_post, w_cont_pre, w_cont_post)
    m_tp, m_tq = w_treat_pre.mean(), w_treat_post.mean()
    m_cp, m_cq = w_cont_pre.mean(), w_cont_post.mean()
    m_d, m_d1, m_d0 = w_d.mean(), w_dt1.mean(), w_dt0.mean()

    r = y - out_c
    eta_treat_pre = w_treat_pre * r / m_tp
    eta_treat_post = w_treat_post * r / m_tq
    eta_cont_pre = w_cont_pre * r / m_cp
    eta_cont_post = w_cont_post * r / m_cq
    dpost = out_t_post - out_c_post
    dpre = out_t_pre - out_c_pre
    eta_d_post = w_d * dpost / m_d
    eta_dt1_post = w_dt1 * dpost / m_d1
    eta_d_pre = w_d * dpre / m_d
    eta_dt0_pre = w_dt0 * dpre / m_d0

    att_treat_pre, att_treat_post = eta_treat_pre.mean(), eta_treat_post.mean()
    att_cont_pre, att_cont_post = eta_cont_pre.mean(), eta_cont_post.mean()
    att_d_post, att_dt1_post = eta_d_post.mean(), eta_dt1_post.mean()
    att_d_pre, att_dt0_pre = eta_d_pre.mean(), eta_dt0_pre.mean()
    att = (
        (att_treat_post - att_treat_pre)
        - (att_cont_post - att_cont_pre)
        + (att_d_post - att_dt1_post)
        - (att_d_pre - att_dt0_pre)
    )

    asy_ps = (X * (w * (D - p))[:, None]) @ ps.hessian
    inf_treat_pre = eta_treat_pre - w_treat_pre * att_treat_pre / m_tp
    inf_treat_post = eta_treat_post - w_treat_post * att_treat_post / m_tq
    M1_post = -(X * (w_treat_post * post)[:, None]).mean(axis=0) / m_tq
    M1_pre = -(X * (w_treat_pre * (1 - post))[:, None]).mean(axis=0) / m_tp
    inf_treat_or = asy_c_post @ M1_post - asy_c_pre @ M1_pre

    inf_cont_pre = eta_cont_pre - w_cont_pre * att_cont_pre / m_cp
    inf_cont_post = eta_cont_post - w_cont_post * att_cont_post / m_cq
    M2_pre = (X * (w_cont_pre * (r - att_cont_pre))[:, None]).mean(axis=0) / m_cp
    M2_post = (X * (w_cont_post * (r - att_cont_post))[:, None]).mean(axis=0) / m_cq
    inf_cont_ps = asy_ps @ (M2_post - M2_pre)
    M3_post = -(X * (w_cont_post * post)[:, None]).mean(axis=0) / m_cq
    M3_pre = -(X * (w_cont_pre * (1 - post))[:, None]).mean(axis=0) / m_cp
    inf_cont_or = asy_c_post @ M3_post - asy_c_pre @ M3_pre

    inf_eff = (eta_d_post - w_d * att_d_post / m_d) - (eta_dt1_post - w_dt1 * att_dt1_post / m_d1)
    inf_eff -= (eta_d_pre - w_d * att_d_pre / m_d) - (eta_dt0_pre - w_dt0 * att_dt0_pre / m_d0)
    mom_post = (X * (w_d / m_d - w_dt1 / m_d1)[:, None]).mean(axis=0)
    mom_pre = (X * (w_d / m_d - w_dt0 / m_d0)[:, None]).mean(axis=0)
    inf_or = (asy_t_post - asy_c_post) @ mom_post - (asy_t_pre - asy_c_pre) @ mom_pre

    inf_treat = inf_treat_post - inf_treat_pre + inf_treat_or
    inf_cont = inf_cont_post - inf_cont_pre + inf_cont_ps + inf_cont_or
    return att, inf_treat - inf_cont + inf_eff + inf_or


PANEL = {"reg": reg_did_panel, "ipw": std_ipw_did_panel, "dr": drdid_panel}
RC = {"reg": reg_did_rc, "ipw": std_ipw_did_rc, "dr": drdid_rc}
