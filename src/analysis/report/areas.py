"""Areas of a run: the study's grouping level (kelurahan, kecamatan or kab/kota) and the units in each.

An area brief covers the service units of one area. Units belong to an area through their
kelurahan code in the study's unit catalogue and the study's grouping (kelurahan, kecamatan or
kab/kota), since desa names repeat across a province. Claims about an area select its units with a row
filter the audit reads like any other: ``kelurahan=<name>`` when the areas are kelurahan,
else the area's unit ids (``unit_id=A|B|...``; the schedule has no kecamatan column).
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class UnknownArea(LookupError):
    """An area name that is not among the run's areas."""


def _schedule_rows(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "tables" / "adoption_schedule.csv"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} has no tables/adoption_schedule.csv: the run did not finish 02_describe")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _grouping(run_dir: Path):
    import json

    from analysis.study import DEFAULT, load

    manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    return load(manifest.get("parameters", {}).get("study", DEFAULT))


def unit_areas(study, schedule: list[dict]) -> dict[str, str]:
    """unit_id -> area (:meth:`analysis.study.Study.areas_of`: by the catalogue's kelurahan code)."""
    ids = [str(r["unit_id"]) for r in schedule]
    return dict(zip(ids, study.areas_of(ids, [r["kelurahan"] for r in schedule])))


def run_areas(run_dir: str | Path) -> list[str]:
    """Names of the areas that hold at least one unit of the run, sorted."""
    return sorted(set(unit_areas(_grouping(run_dir), _schedule_rows(Path(run_dir))).values()))


def check_area(area: str, areas: list[str]) -> None:
    if area not in areas:
        close = difflib.get_close_matches(area, areas, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownArea(f"unknown area '{area}' in this run{hint}\n  areas: {', '.join(areas)}")


def slug(area: str) -> str:
    """A folder name for an area: ASCII, lower case, words joined by ``-`` (``Ulu I`` -> ``ulu-i``)."""
    ascii_name = unicodedata.normalize("NFKD", area).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "area"


def area_units(res, area: str) -> "pd.DataFrame":
    """Rows of the run's adoption_schedule whose units lie in ``area``."""
    schedule = res.table("adoption_schedule")
    areas = unit_areas(res.study, schedule[["unit_id", "kelurahan"]].to_dict("records"))
    return schedule[schedule["unit_id"].astype(str).map(areas) == area]


def area_filter(res, area: str) -> str:
    """The row filter that selects the area's units in tables keyed by unit (the audit's syntax)."""
    if res.study.grouping == "kelurahan":
        return f"kelurahan={area}"
    return "unit_id=" + "|".join(sorted(area_units(res, area)["unit_id"].astype(str)))


def unit_filter(res, area: str) -> str:
    """The same units as a ``unit_id=`` filter (tables without a kelurahan column, such as IKM)."""
    return "unit_id=" + "|".join(sorted(area_units(res, area)["unit_id"].astype(str)))
