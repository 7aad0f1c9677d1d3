"""Result objects shared by every estimator in :mod:`analysis.did`.

Every estimator returns a :class:`DiDResult` (or a subclass). The tidy frame is the
primary output (one row per parameter, broom-style names as in R ``did``'s
``tidy()`` and pyfixest's ``tidy()``); ``summary()``, ``to_json()`` and ``plot()``
are derived from it, so notebooks and briefs read one format whatever the estimator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Column order of every ``tidy()`` frame. ``conf_*_simul`` are simultaneous
#: (uniform) bands, NaN where an estimator has none; ``event_time``, ``group`` and
#: ``period`` are NaN where they do not apply to a row.
TIDY_COLUMNS = [
    "estimator",
    "type",
    "term",
    "group",
    "period",
    "event_time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "conf_low_simul",
    "conf_high_simul",
    "p_value",
    "n",
]


def empty_tidy() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object" if c in ("estimator", "type", "term") else "float64")
                         for c in TIDY_COLUMNS})


def conform_tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly :data:`TIDY_COLUMNS` (missing ones as NaN), in order."""
    out = frame.copy()
    for col in TIDY_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
        elif col not in ("estimator", "type", "term"):
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")  # JSON null -> NaN
    return out[TIDY_COLUMNS].reset_index(drop=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return value


@dataclass
class DiDResult:
    """A fitted estimator: its tidy table plus the inputs that produced it.

    ``params`` stores every input in the project vocabulary (``yname``, ``tname``,
    ``idname``, ``gname``, ``control_group``, ``anticipation``, ``est_method``, ...),
    so a result can be re-created, aggregated or reported without the caller's state.
    ``extra`` holds estimator-specific diagnostics (e.g. the Wald pre-test, the
    Goodman-Bacon weights, the inference method chosen and why).
    """

    estimator: str
    table: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        return conform_tidy(self.table)

    def summary(self) -> str:
        tidy = self.tidy()
        shown = tidy[["type", "term", "estimate", "std_error", "conf_low", "conf_high", "p_value"]]
        header = f"{self.estimator}: " + ", ".join(
            f"{k}={v}" for k, v in self.params.items() if k in ("yname", "control_group", "est_method", "anticipation")
        )
        return header + "\n" + shown.to_string(index=False, float_format=lambda x: f"{x:.4f}")

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "estimator": self.estimator,
                "params": self.params,
                "extra": self.extra,
                "tidy": self.tidy().to_dict(orient="records"),
            }
        )

    def to_json(self, path=None, **kwargs) -> str:
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False, **kwargs)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DiDResult":
        return cls(
            estimator=data["estimator"],
            table=conform_tidy(pd.DataFrame(data["tidy"])),
            params=data.get("params", {}),
            extra=data.get("extra", {}),
        )

    @classmethod
    def from_json(cls, text_or_path) -> "DiDResult":
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            with open(text, encoding="utf-8") as fh:
                text = fh.read()
        return cls.from_dict(json.loads(text))

    def plot(self, ax=None, *, simultaneous: bool = True, label: str | None = None, **kwargs):
        """Event-study plot of the rows with an ``event_time`` (point estimates and bands)."""
        import matplotlib.pyplot as plt

        rows = self.tidy().dropna(subset=["event_time"]).sort_values("event_time")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        x = rows["event_time"].to_numpy(float)
        lo_col, hi_col = ("conf_low_simul", "conf_high_simul")
        if not simultaneous or rows[lo_col].isna().all():
            lo_col, hi_col = ("conf_low", "conf_high")
        colors = np.where(x < 0, "tab:gray", "tab:blue")
        ax.errorbar(
            x,
            rows["estimate"],
            yerr=[rows["estimate"] - rows[lo_col], rows[hi_col] - rows["estimate"]],
            fmt="none",
            ecolor=list(colors),
            capsize=3,
        )
        ax.scatter(x, rows["estimate"], c=list(colors), zorder=3, label=label or self.estimator, **kwargs)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.axvline(-0.5, color="black", linestyle=":", linewidth=0.8)
        return ax
