"""The one place that maps user column names to names safe in a model formula.

Real exports name columns ``class``, ``unit id``, ``tahun-bulan`` or ``nilai_ñ``;
pyfixest and formulaic parse formulas as Python expressions, so such names break
them (``class`` is a keyword, ``log`` or ``C`` a formula function, a space or hyphen
an operator). Estimators that build formulas are wrapped with
:func:`any_column_names`: the names in their column arguments that are not plainly
safe are renamed to ``v<k>_safe`` in a shallow copy of the needed columns, the
estimator runs on safe names, and the result's ``params`` and any error message are
translated back, so callers only ever see their own names. Names that are already
safe are left alone (same frame, same estimates, same messages).
"""

from __future__ import annotations

import builtins
import functools
import inspect
import keyword
import re
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: names formula engines (formulaic, pyfixest, patsy) resolve as functions or operators
_FORMULA_WORDS = {
    "C", "I", "Q", "T", "i", "np", "pd", "log", "exp", "sqrt", "abs", "center", "scale", "standardize",
    "poly", "bs", "cs", "cr", "cc", "te", "lag", "lead", "diff", "sw", "sw0", "csw", "csw0", "mvsw",
    "sunab", "Treatment", "Sum", "Diff", "Poly", "Helmert", "contr", "offset", "fe",
}
_COLUMN_ARGS = ("yname", "tname", "idname", "gname", "clustervars", "exposure", "weightsname", "controls")


def is_safe_name(name: Any) -> bool:
    """True for names every formula engine reads as a plain column reference."""
    return (isinstance(name, str) and bool(_IDENT.match(name)) and not keyword.iskeyword(name)
            and name not in _FORMULA_WORDS and not hasattr(builtins, name))


def split_covariates(xformla: str | Iterable[str] | None) -> list[str]:
    """Column names of an R-style ``"~ x1 + x2"`` (names may be `backtick-quoted`) or a list."""
    if xformla is None:
        return []
    if not isinstance(xformla, str):
        return [str(c) for c in xformla if c != "1"]
    rhs = xformla.split("~", 1)[-1]
    names = []
    for part in re.findall(r"`[^`]*`|[^+]+", rhs):
        part = part.strip()
        if part.startswith("`") and part.endswith("`"):
            part = part[1:-1]
        if part and part != "1":
            names.append(part)
    return names


class ColumnMap:
    """User name <-> safe name for the columns one estimator call uses."""

    def __init__(self, names: Iterable[str]):
        self.to_safe: dict[str, str] = {}
        for name in dict.fromkeys(names):
            if not is_safe_name(name):
                self.to_safe[name] = f"v{len(self.to_safe)}_safe"
        self.to_user = {v: k for k, v in self.to_safe.items()}

    def __bool__(self) -> bool:
        return bool(self.to_safe)

    def safe(self, value):
        """Translate a column argument (name, list of names or covariate formula)."""
        if value is None or not self:
            return value
        if isinstance(value, str):
            return self.to_safe.get(value, value)
        return type(value)(self.to_safe.get(v, v) for v in value)

    def user(self, value):
        if isinstance(value, str):
            return self.to_user.get(value, value)
        if isinstance(value, (list, tuple)):
            return type(value)(self.user(v) for v in value)
        return value

    def user_text(self, text: str) -> str:
        for s, u in self.to_user.items():
            text = text.replace(f"'{s}'", repr(u)).replace(s, u)
        return text

    def frame(self, data: pd.DataFrame) -> pd.DataFrame:
        clash = [s for s in self.to_user if s in data.columns]
        if clash:
            raise ValueError(f"Column names {clash} are reserved for internal use; rename them")
        return data.rename(columns=self.to_safe)


def any_column_names(xformla_arg: str | None = "xformla") -> Callable:
    """Decorator: let an estimator taking ``data`` and column-name arguments accept any names.

    Column arguments are those named in ``_COLUMN_ARGS``; ``xformla_arg`` names the
    covariate argument (a ``"~ x1 + x2"`` string or a list). The result's ``params``
    report the user's names; error messages name the user's columns.
    """

    def deco(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        roles = [a for a in _COLUMN_ARGS if a in sig.parameters]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            a = bound.arguments
            names: list[str] = []
            for r in roles:
                v = a[r]
                if v is not None:
                    names += [v] if isinstance(v, str) else list(v)
            covs = split_covariates(a.get(xformla_arg)) if xformla_arg in a else []
            cmap = ColumnMap(names + covs)
            if not cmap:
                return fn(*bound.args, **bound.kwargs)
            user_xformla = a.get(xformla_arg)
            a["data"] = cmap.frame(a["data"])
            for r in roles:
                a[r] = cmap.safe(a[r])
            if covs:
                a[xformla_arg] = "~ " + " + ".join(cmap.safe(covs))
            try:
                res = fn(*bound.args, **bound.kwargs)
            except (KeyError, ValueError, TypeError) as err:
                msg = cmap.user_text(str(err.args[0]) if len(err.args) == 1 else str(err))
                raise type(err)(msg) from err
            return restore_names(res, cmap, user_xformla=user_xformla if covs else None, xformla_arg=xformla_arg)

        wrapper.__signature__ = sig  # type: ignore[attr-defined]
        return wrapper

    return deco


def restore_names(res, cmap: ColumnMap, *, user_xformla=None, xformla_arg: str = "xformla"):
    """Put the user's column names back into a result's ``params`` (in place; returns it)."""
    params = getattr(res, "params", None)
    if isinstance(params, dict):
        for k, v in params.items():
            params[k] = cmap.user(v)
        if user_xformla is not None and xformla_arg in params:
            params[xformla_arg] = user_xformla if isinstance(user_xformla, str) else list(user_xformla)
    return res
