"""Input checks and sample preparation for the Callaway-Sant'Anna estimator.

Mirrors R ``did``'s ``pre_process_did``: validate the arguments, check the panel
(one row per unit-period, an absorbing treatment date, a comparison group that
exists, cohort sizes), drop what R drops (rows with missing values, units treated
in the first period, units that make a panel unbalanced) and say so with a warning.
Nothing here modifies the caller's frame: every function works on copies.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: R did warns about groups smaller than this (+ number of covariates) and refuses such a
#: never-treated comparison group.
MIN_GROUP_UNITS = 5


class NotEstimableError(ValueError):
    """The data leave nothing to estimate or aggregate (no estimable ATT(g,t), none in the window).

    A ``ValueError``, so callers that catch those keep working; randomisation inference catches
    this one alone, to skip permutations of adoption dates that leave nothing estimable."""


class DiDDataWarning(UserWarning):
    """A data problem that was handled (rows dropped, cohorts recoded, small groups)."""


_SIMPLE_TERM = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def parse_xformla(xformla: str | Sequence[str] | None) -> tuple[list[str] | None, str | None]:
    """Return ``(columns, formula)``: plain column names, or a formula for formulaic.

    ``None``, ``"~1"`` and ``[]`` mean no covariates (an intercept only). A formula
    whose right-hand side is a sum of plain column names is reduced to the list, so
    the common case needs no formula engine; anything else (``C(x)``, ``np.log(x)``,
    interactions) is handed to formulaic.
    """
    if xformla is None:
        return [], None
    if isinstance(xformla, str):
        text = xformla.strip()
        if "~" in text:
            lhs, rhs = text.split("~", 1)
            if lhs.strip():
                raise ValueError(f"xformla must be one-sided ('~x1+x2'), got {xformla!r}")
        else:
            rhs = text
        terms = [t.strip() for t in rhs.split("+")]
        if any(t == "" for t in terms):
            raise ValueError(f"Cannot parse xformla {xformla!r}")
        cols = [t for t in terms if t not in ("1", "0", "-1")]
        if all(_SIMPLE_TERM.match(t) for t in cols) and "0" not in terms and "-1" not in terms:
            return cols, None
        return None, rhs
    cols = list(xformla)
    if not all(isinstance(c, str) for c in cols):
        raise TypeError("xformla must be None, a formula string or a list of column names")
    return [c for c in cols if c != "1"], None


def formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Data columns a formulaic right-hand side refers to (for missing-value checks)."""
    from formulaic import Formula

    names = set()
    for var in Formula(formula).required_variables:
        names.add(str(var))
    return [c for c in data.columns if c in names]


def design_matrix(data: pd.DataFrame, columns: list[str] | None, formula: str | None) -> tuple[np.ndarray, list[str]]:
    """Covariate design with a leading intercept column, as ``model.matrix`` builds it."""
    n = len(data)
    if formula is not None:
        from formulaic import model_matrix

        try:
            mm = model_matrix(formula, data, na_action="raise")
        except ValueError as err:
            raise ValueError(f"The covariate formula '~{formula}' produced missing values: {err}") from err
        names = list(mm.columns)
        mat = np.asarray(mm, dtype=float)
        if "Intercept" not in names:
            mat = np.column_stack([np.ones(n), mat])
            names = ["(Intercept)"] + names
        else:
            i = names.index("Intercept")
            order = [i] + [j for j in range(len(names)) if j != i]
            mat, names = mat[:, order], ["(Intercept)"] + [names[j] for j in order[1:]]
        return np.ascontiguousarray(mat), names
    mat = np.empty((n, 1 + len(columns or [])))
    mat[:, 0] = 1.0
    for j, c in enumerate(columns or []):
        col = data[c]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise TypeError(
                f"Covariate {c!r} is not numeric; pass a formula such as '~C({c})' to expand it into dummies"
            )
        mat[:, j + 1] = col.to_numpy(dtype=float)
    return mat, ["(Intercept)"] + list(columns or [])


@dataclass
class Prepared:
    """The cleaned estimation sample as numpy arrays (private copies), and what was done.

    Panels are sorted by (unit, period); ``unit`` holds unit codes 0..n_units-1 in
    the order of ``unit_ids``. For repeated cross-sections every row is a unit.
    """

    y: np.ndarray
    t: np.ndarray
    g: np.ndarray
    w: np.ndarray
    X: np.ndarray  # design with leading intercept, one row per observation
    unit: np.ndarray  # unit code per row
    unit_ids: np.ndarray
    cluster: np.ndarray | None  # cluster code per row (None: units are the clusters)
    cluster_name: str | None
    tlist: np.ndarray  # sorted periods
    glist: np.ndarray  # sorted treated cohorts that get ATT(g,t) cells
    panel: bool  # panel data (balanced unless ``unbalanced``)
    unbalanced: bool  # panel data estimated with the RC estimator (allow_unbalanced_panel)
    n_units: int
    xnames: list[str]
    notes: list[str] = field(default_factory=list)
    cluster_labels: np.ndarray | None = None  # cluster value of each cluster code

    def subset(self, keep: np.ndarray) -> None:
        for name in ("y", "t", "g", "w", "X", "unit", "cluster", "_xframe"):
            val = getattr(self, name, None)
            if val is not None:
                setattr(self, name, val[keep] if not isinstance(val, pd.DataFrame) else val.loc[keep])


def _warn(msg: str, notes: list[str]) -> None:
    notes.append(msg)
    warnings.warn(msg, DiDDataWarning, stacklevel=4)


def _as_list(x: Any) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def validate_args(
    *,
    control_group: str,
    anticipation: Any,
    est_method: str,
    base_period: str,
    alp: float,
    biters: int,
) -> None:
    if control_group not in ("nevertreated", "notyettreated"):
        raise ValueError(f"control_group must be 'nevertreated' or 'notyettreated', got {control_group!r}")
    if est_method not in ("dr", "ipw", "reg"):
        raise ValueError(f"est_method must be 'dr', 'ipw' or 'reg', got {est_method!r}")
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, np.integer, float, np.floating)) or (
        not np.isfinite(anticipation) or anticipation < 0 or anticipation != int(anticipation)
    ):
        raise ValueError(f"anticipation must be a non-negative whole number, got {anticipation!r}")
    if isinstance(alp, bool) or not isinstance(alp, (int, float, np.integer, np.floating)) or not (0 < float(alp) < 1):
        raise ValueError(f"alp must be strictly between 0 and 1, got {alp!r}")
    if isinstance(biters, bool) or not isinstance(biters, (int, np.integer)) or biters < 1:
        raise ValueError(f"biters must be a positive whole number, got {biters!r}")


def _numeric(data: pd.DataFrame, col: str) -> np.ndarray:
    s = data[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise TypeError(f"Column {col!r} must be numeric")
    return s.to_numpy(dtype=float, na_value=np.nan)


def _group_change(code: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean per row: ``values`` differs from the previous row of the same (sorted) unit."""
    out = np.zeros(len(code), dtype=bool)
    if len(code) > 1:
        same = code[1:] == code[:-1]
        out[1:] = same & (values[1:] != values[:-1])
    return out


def prepare(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str | None,
    gname: str,
    xformla: str | Sequence[str] | None,
    control_group: str,
    anticipation: int,
    panel: bool,
    allow_unbalanced_panel: bool,
    weightsname: str | None,
    clustervars: str | Sequence[str] | None,
) -> Prepared:
    """Validate and clean the sample (never touching ``data``)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    notes: list[str] = []
    xcols, xformula = parse_xformla(xformla)
    cluster_list = [c for c in _as_list(clustervars) if c != idname]
    if len(cluster_list) > 1:
        raise ValueError("At most one cluster variable beyond idname is supported (as in R did)")
    cluster_name = cluster_list[0] if cluster_list else None
    if panel and idname is None:
        raise ValueError("idname is required when panel=True")

    xvars = formula_columns(xformula, data) if xformula is not None else list(xcols or [])
    needed = [yname, tname, gname] + ([idname] if idname is not None else [])
    needed += [c for c in (weightsname, cluster_name) if c is not None] + xvars
    missing_cols = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing_cols:
        raise KeyError(f"Columns not found in data: {missing_cols}")
    used = list(dict.fromkeys(needed))

    # Private numpy copies of the used columns; the caller's frame is only read.
    y, t, g = (_numeric(data, c) for c in (yname, tname, gname))
    w = _numeric(data, weightsname) if weightsname is not None else np.ones(len(data))
    bad = ~np.isfinite(y) | ~np.isfinite(t) | ~np.isfinite(g) | ~np.isfinite(w)
    ids = data[idname].to_numpy() if idname is not None else None
    if ids is not None:
        bad |= pd.isna(ids)
    clus = data[cluster_name].to_numpy() if cluster_name is not None else None
    if clus is not None:
        bad |= pd.isna(clus)
    xframe = None
    if xformula is None:
        Xraw = np.column_stack([np.ones(len(data))] + [_design_column(data, c) for c in xcols]) if xcols else None
        if Xraw is not None:
            bad |= ~np.isfinite(Xraw).all(axis=1)
    else:
        xframe = data.loc[:, xvars]
        bad |= xframe.isna().any(axis=1).to_numpy()
    if bad.any():
        _warn(f"Dropped {int(bad.sum())} of {len(data)} rows with missing or non-finite values in the "
              f"columns used ({', '.join(used)}).", notes)
    keep = ~bad
    if not keep.any():
        raise ValueError("No rows left after dropping missing values")

    def take(a):
        return a if a is None or not bad.any() else a[keep]

    y, t, g, w, ids, clus = map(take, (y, t, g, w, ids, clus))
    Xrows = take(Xraw) if xformula is None and xcols else None
    if xframe is not None and bad.any():
        xframe = xframe.loc[keep]

    if not (np.all(t == np.round(t)) and np.all(g == np.round(g))):
        raise ValueError(f"{tname!r} and {gname!r} must hold whole-number periods")
    if (g < 0).any():
        raise ValueError(f"{gname!r} must be 0 (never treated) or the period of first treatment; found negative values")
    if (w < 0).any() or not w.mean() > 0:
        raise ValueError(f"Weights {weightsname!r} must be non-negative with a positive mean")

    # Sort by (unit, period) once; everything below works on sorted arrays.
    if panel:
        ucode, unit_ids = _sorted_codes(ids)
        sorted_already = len(ucode) < 2 or bool(
            np.all((ucode[1:] > ucode[:-1]) | ((ucode[1:] == ucode[:-1]) & (t[1:] > t[:-1])))
        )
        order = None if sorted_already else np.lexsort((t, ucode))
        if order is not None:
            ucode, t, g, y, w = ucode[order], t[order], g[order], y[order], w[order]
            ids = ids[order]
            clus = clus[order] if clus is not None else None
            Xrows = Xrows[order] if Xrows is not None else None
            if xframe is not None:
                xframe = xframe.iloc[order]
        dup = np.zeros(len(t), dtype=bool)
        dup[1:] = (ucode[1:] == ucode[:-1]) & (t[1:] == t[:-1])
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(
                f"{int(dup.sum())} duplicated ({idname}, {tname}) pairs, e.g. ({ids[i]!r}, {t[i]:g}): "
                "a panel needs one row per unit and period"
            )
        changes = _group_change(ucode, g)
        if changes.any():
            bad_units = np.unique(ucode[changes])
            raise ValueError(
                f"{gname!r} varies within {len(bad_units)} units (e.g. {unit_ids[bad_units[:5]].tolist()}). It must be "
                "the period of first treatment, constant within a unit: treatment that switches off or a changing "
                "adoption date is not a staggered design"
            )
        if clus is not None and _group_change(ucode, pd.factorize(clus)[0]).any():
            raise ValueError(f"Cluster variable {cluster_name!r} varies within units; it must be time-invariant")
    else:
        ucode = unit_ids = None

    prep = Prepared(
        y=y, t=t, g=g, w=w, X=Xrows, unit=ucode, unit_ids=None, cluster=clus, cluster_name=cluster_name,
        tlist=np.empty(0), glist=np.empty(0), panel=panel, unbalanced=False, n_units=0, xnames=[], notes=notes,
    )
    prep._xframe = xframe  # type: ignore[attr-defined]
    cache: dict[str, Any] = {}

    def periods() -> np.ndarray:
        # Unique periods of the current sample, recomputed only after rows were dropped.
        if cache.get("t") is not prep.t:
            cache["t"], cache["tlist"] = prep.t, _unique_sorted(prep.t)
        return cache["tlist"]

    tlist = periods()
    # Units first treated after the last period are never treated within the sample.
    late = prep.g > tlist[-1] + anticipation
    if late.any():
        _warn(f"{int(late.sum())} rows with {gname} > last period + anticipation are treated as never treated.", notes)
        prep.g = np.where(late, 0.0, prep.g)

    if not (prep.g == 0).any():
        latest = prep.g.max()
        cutoff = latest - anticipation
        if control_group == "nevertreated":
            _warn(f"No never-treated units. As in R did, the last cohort ({latest:g}) is used as the comparison group "
                  f"and periods from {cutoff:g} on are dropped.", notes)
        else:
            _warn(f"No never-treated units. Periods from {cutoff:g} on are dropped so that cohort {latest:g} can serve "
                  "as the not-yet-treated comparison group.", notes)
        prep.subset(prep.t < cutoff)
        if control_group == "nevertreated":
            prep.g = np.where(prep.g == latest, 0.0, prep.g)
        if len(prep.t) == 0 or len(periods()) < 2:
            raise ValueError("No comparison group: there are no never-treated units and fewer than two periods "
                             "precede the last cohort's treatment")

    first = periods()[0]
    treated_first = (prep.g > 0) & (prep.g <= first + anticipation)
    if treated_first.any():
        n_drop = len(np.unique(prep.unit[treated_first])) if prep.unit is not None else int(treated_first.sum())
        _warn(f"Dropped {n_drop} units already treated in the first period ({first:g}"
              + (f", anticipation {anticipation}" if anticipation else "")
              + "): they have no untreated period to compare.", notes)
        prep.subset(~treated_first)

    if panel:
        n_t = len(periods())
        counts = np.bincount(prep.unit)
        if (counts[prep.unit] < n_t).any():
            if allow_unbalanced_panel:
                prep.unbalanced = True
            else:
                present = counts > 0
                short = present & (counts < n_t)
                _warn(f"Dropped {int(short.sum())} of {int(present.sum())} units not observed in every period to "
                      "balance the panel (set allow_unbalanced_panel=True to keep them).", notes)
                prep.subset(counts[prep.unit] == n_t)
                if len(prep.t) == 0:
                    raise ValueError("No units are observed in every period; set allow_unbalanced_panel=True")

    tlist = periods()
    if len(tlist) < 2:
        raise ValueError("At least two periods are needed")
    glist = _unique_sorted(prep.g)
    if not (glist == 0).any():
        if control_group == "nevertreated":
            raise ValueError("No never-treated units remain for control_group='nevertreated'")
        glist = glist[glist < glist.max()]  # the last cohort only serves as comparison
    glist = glist[(glist > 0) & (glist > tlist[0] + anticipation)]
    if len(glist) == 0:
        raise ValueError(f"No treated cohorts left: {gname!r} must be the period of first treatment (0 = never)")

    # Re-code units densely after the drops.
    if panel:
        first_row = np.r_[True, prep.unit[1:] != prep.unit[:-1]]
        prep.unit_ids = unit_ids[prep.unit[first_row]]
        prep.unit = np.cumsum(first_row) - 1  # rows are sorted by unit
        n_units = int(first_row.sum())
        unit_g = prep.g[first_row]
    else:
        n_units = len(prep.t)
        prep.unit = np.arange(n_units)
        prep.unit_ids = np.arange(n_units)
        unit_g = prep.g
    prep.n_units = n_units
    prep.tlist, prep.glist = tlist, glist
    if prep.cluster is not None:
        codes, labels = pd.factorize(prep.cluster, sort=True)
        prep.cluster, prep.cluster_labels = codes.astype(np.int64), np.asarray(labels)

    # Small cohorts: R did warns below (number of covariates + 5) units.
    req = len(xvars) + MIN_GROUP_UNITS
    vals, sizes = np.unique(unit_g, return_counts=True)
    small = sizes < req
    if small.any():
        _warn(f"Small groups (fewer than {req} units): "
              + ", ".join(f"{gname}={v:g}: {s}" for v, s in zip(vals[small], sizes[small]))
              + ". Their ATT(g,t) are imprecise and their propensity scores may not be estimable.", notes)
        if 0 in vals[small] and control_group == "nevertreated":
            raise ValueError("The never-treated group is too small; try control_group='notyettreated'")

    if xformula is not None:
        with np.errstate(all="ignore"):
            prep.X, prep.xnames = design_matrix(prep._xframe, None, xformula)  # type: ignore[attr-defined]
        if not np.isfinite(prep.X).all():
            raise ValueError(f"The covariate formula '~{xformula}' produced non-finite values")
    elif xcols:
        prep.xnames = ["(Intercept)"] + list(xcols)
    else:
        prep.X = np.ones((len(prep.t), 1))
        prep.xnames = ["(Intercept)"]
    prep._xframe = None  # type: ignore[attr-defined]
    if weightsname is not None and panel and not prep.unbalanced and _group_change(prep.unit, prep.w).any():
        _warn("Time-varying weights: as in R did, each 2x2 comparison uses the weight of its earlier period.", notes)
    return prep


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    return np.sort(pd.unique(a))


def _sorted_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of ``ids`` in sorted order of the ids, and the sorted unique ids."""
    if ids.dtype.kind in "iuf" and (len(ids) < 2 or bool(np.all(ids[1:] >= ids[:-1]))):
        start = np.r_[True, ids[1:] != ids[:-1]]  # already sorted: no hashing needed
        return np.cumsum(start) - 1, ids[start]
    codes, uniq = pd.factorize(ids, sort=True)
    return codes, np.asarray(uniq)


def _design_column(data: pd.DataFrame, col: str) -> np.ndarray:
    s = data[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise TypeError(f"Covariate {col!r} is not numeric; use a formula such as '~C({col})' to expand it into dummies")
    return s.to_numpy(dtype=float, na_value=np.nan)
