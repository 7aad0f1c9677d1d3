"""A study area as data: ``studies/<name>/study.yaml`` plus its unit catalogue.

The study names the area by its Kemendagri code, the window the study covers, the level at which
units are grouped, and every vocabulary that varies by place (kelurahan with official codes, OPDs,
services, diseases, courses, unit types). The unit catalogue (CSV) lists the service units. Both are
validated with pydantic; a mistake is reported with the file, the row or field, and what is allowed.

No Python module names a place: code asks the study (``load(name).areas`` ...). A run chooses its
study with the ``study`` parameter (a name under ``studies/`` or a path to a study folder).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis import names as N

if TYPE_CHECKING:
    import pandas as pd

_ROOTS = (Path.cwd() / "studies", Path(__file__).resolve().parents[2] / "studies")


def _default() -> str:
    """The default study's name: the one line of ``studies/DEFAULT`` (data, so no Python names a place)."""
    for root in _ROOTS:
        if (root / "DEFAULT").is_file():
            return (root / "DEFAULT").read_text(encoding="utf-8").strip()
    raise FileNotFoundError(f"no studies/DEFAULT under {', '.join(map(str, _ROOTS))}")


DEFAULT = _default()
#: Columns of a unit catalogue; the last four may be empty.
CATALOGUE_COLUMNS = ["unit_id", "unit_name", "unit_type", "opd", "kelurahan_code", "staff", "daily_tickets",
                     "users_per_day", "distance_km"]
_OPTIONAL = ("staff", "daily_tickets", "users_per_day", "distance_km")


class StudyError(ValueError):
    """A study file or unit catalogue that cannot be used, with the file and the mistake named."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Area(_Strict):
    code: str = Field(pattern=r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", description="Kemendagri code")
    name: str


class AreaHead(_Strict):
    code: str = Field(pattern=r"^(ID|\d{2}(\.\d{2}(\.\d{2})?)?)$",
                      description="Kemendagri code of the study area, or ID for all of Indonesia")
    name: str
    level: Literal["nasional", "provinsi", "kota", "kabupaten", "kecamatan"]
    parent: str = ""


class Names(_Strict):
    area: str = Field(description="the area as a sentence names it")
    short: str = Field(description="short label of the area")
    title: str = Field(description="the area in a brief's title")


class Window(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> "Window":
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} is not after start {self.start}")
        return self


class Service(_Strict):
    priority: bool


class Study(_Strict):
    name: str
    area: AreaHead
    names: dict[Literal["id", "en"], Names]
    grouping: Literal["kelurahan", "kecamatan", "kabkota"]
    window: Window
    areas: list[Area] = Field(min_length=1, description="kelurahan (desa) of the study with official codes")
    kecamatan: list[Area] = Field(default_factory=list, description="kecamatan of a city-wide study")
    kabkota: list[Area] = Field(default_factory=list, description="kabupaten/kota of a province or national study")
    catalogue: str = "units.csv"
    opds: list[str] = Field(min_length=1)
    unit_types: list[str] = Field(min_length=1)
    services: dict[str, Service] = Field(min_length=1)
    skm_services: list[str] = Field(default_factory=list)
    diseases: list[str] = Field(min_length=1)
    courses: dict[str, str] = Field(min_length=1, description="course code -> title in training exports")
    folder: Path = Field(default=Path("."), exclude=True)

    @field_validator("areas", "kecamatan", "kabkota")
    @classmethod
    def _unique_codes(cls, v: list[Area]) -> list[Area]:
        seen = Counter(a.code for a in v)  # linear: a national study lists 84k desa
        dup = sorted(c for c, n in seen.items() if n > 1)
        if dup:
            raise ValueError(f"area codes listed twice: {dup}")
        return v

    @model_validator(mode="after")
    def _inside(self) -> "Study":
        inside = "" if self.area.code == "ID" else self.area.code + "."
        outside = [a.code for a in (*self.areas, *self.kecamatan, *self.kabkota) if not a.code.startswith(inside)]
        if outside:
            raise ValueError(f"codes not inside the study area {self.area.code}: {outside[:5]}")
        missing = {"id", "en"} - set(self.names)
        if missing:
            raise ValueError(f"names: missing language(s) {sorted(missing)}")
        return self

    # ------------------------------------------------------------ vocabularies
    @property
    def kelurahan(self) -> tuple[str, ...]:
        """Official kelurahan names, sorted (the values of the units table's ``kelurahan`` column)."""
        return tuple(sorted(a.name for a in self.areas))

    @property
    def city(self) -> str:
        """The kota/kabupaten's name without its prefix (units often end with it: ``SD Negeri 1 <city>``)."""
        full = self.area.name if self.area.level in ("kota", "kabupaten") else self.area.parent
        return full.removeprefix("Kota ").removeprefix("Kabupaten ")

    @property
    def priority_services(self) -> tuple[str, ...]:
        return tuple(s for s, v in self.services.items() if v.priority)

    @property
    def all_skm_services(self) -> tuple[str, ...]:
        return tuple(self.services) + tuple(self.skm_services)

    def vocabulary(self, name: str) -> tuple[str, ...]:
        """The allowed values of a study vocabulary, by the name schemas use."""
        return {"kelurahan": self.kelurahan, "opd": tuple(self.opds), "unit_type": tuple(self.unit_types),
                "service": tuple(self.services), "skm_service": self.all_skm_services,
                "disease": tuple(self.diseases), "course": tuple(self.courses)}[name]

    def kecamatan_of(self, kelurahan_code: str) -> str:
        """Name of the kecamatan a kelurahan code lies in ('' if the study lists no kecamatan)."""
        head = ".".join(kelurahan_code.split(".")[:3])
        return next((k.name for k in self.kecamatan if k.code == head), "")

    def kabkota_of(self, kelurahan_code: str) -> str:
        """Name of the kabupaten/kota a kelurahan code lies in ('' if the study lists no kabupaten/kota)."""
        head = ".".join(kelurahan_code.split(".")[:2])
        return next((k.name for k in self.kabkota if k.code == head), "")

    def group_of(self, kelurahan_name: str) -> str:
        """The grouping-level name of a kelurahan: itself, its kecamatan (a city-wide study) or its
        kab/kota (a province or national study)."""
        return self._name_at(kelurahan_name, self.grouping)

    def _name_at(self, kelurahan_name: str, level: str) -> str:
        if level == "kelurahan":
            return kelurahan_name
        code = self._code_by_name[kelurahan_name]
        return self.kabkota_of(code) if level == "kabkota" else self.kecamatan_of(code)

    @cached_property
    def unit_kelurahan(self) -> dict[str, str]:
        """unit_id -> official name of the unit's kelurahan, by its code in the catalogue."""
        names = {a.code: a.name for a in self.areas}
        return {u: names[c] for u, c in zip(self.units["unit_id"].astype(str), self.units["kelurahan_code"])}

    @cached_property
    def unit_area(self) -> dict[str, str]:
        """unit_id -> the grouping-level name of its area, through the unit's kelurahan code in the
        catalogue (desa names repeat across a province, so a name alone may not say which one)."""
        return self.units_at(self.grouping)

    def units_at(self, level: str) -> dict[str, str]:
        """unit_id -> the name of the unit's area at ``level`` (kabkota, kecamatan or kelurahan), by the
        unit's kelurahan code in the catalogue; a code the study does not name stays as it is."""
        depth, listed = {"kabkota": (2, self.kabkota), "kecamatan": (3, self.kecamatan),
                         "kelurahan": (4, self.areas)}[level]
        names = {a.code: a.name for a in listed}  # a dict: a national study lists 514 kab/kota and 84k desa
        heads = (".".join(c.split(".")[:depth]) for c in self.units["kelurahan_code"].astype(str))
        return {u: names.get(h, h) for u, h in zip(self.units["unit_id"].astype(str), heads)}

    def areas_of(self, unit_ids, kelurahan_names, level: str | None = None) -> list[str]:
        """Area of each unit at ``level`` (default: the grouping level): by the catalogue, else (a unit it does
        not list) by its kelurahan's name."""
        level = level or self.grouping
        by_unit = self.unit_area if level == self.grouping else self.units_at(level)
        return [by_unit.get(str(u)) or self._name_at(str(k), level) for u, k in zip(unit_ids, kelurahan_names)]

    @cached_property
    def _code_by_name(self) -> dict[str, str]:
        return {a.name: a.code for a in self.areas}

    @cached_property
    def units(self) -> "pd.DataFrame":
        """The unit catalogue with the kelurahan name beside its code (validated)."""
        return read_catalogue(self.folder / self.catalogue, self)

    def match_area(self, name: str) -> str:
        """The official kelurahan name an export's spelling means (see :func:`analysis.names.match`)."""
        return N.match(name, self.kelurahan)


def _load_yaml(path: Path) -> dict:
    try:
        # libyaml's safe loader where installed: a province's study.yaml lists thousands of desa
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise StudyError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise StudyError(f"{path}: expected a mapping of study fields")
    return data


def _errors(path: Path, e: ValidationError) -> str:
    lines = [f"{path}: {len(e.errors())} mistake(s)"]
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def folder_of(study: str | os.PathLike) -> Path:
    """The folder of a study given by name (under ``studies/``) or by path."""
    p = Path(study)
    if (p / "study.yaml").is_file():
        return p
    roots = _ROOTS
    for root in roots:
        if (root / str(study) / "study.yaml").is_file():
            return root / str(study)
    known = sorted({d.name for r in roots if r.is_dir() for d in r.iterdir() if (d / "study.yaml").is_file()})
    raise StudyError(f"study {str(study)!r} not found: no study.yaml under {', '.join(map(str, roots))} "
                     f"(known studies: {', '.join(known) or 'none'})")


@lru_cache(maxsize=8)
def _load(folder: Path) -> Study:
    path = folder / "study.yaml"
    try:
        study = Study(**_load_yaml(path), folder=folder)
    except ValidationError as e:
        raise StudyError(_errors(path, e)) from None
    study.units  # validate the catalogue now: a bad catalogue fails before any work starts
    return study


def load(study: str | os.PathLike = DEFAULT) -> Study:
    """The validated study (cached per folder)."""
    return _load(folder_of(study).resolve())


def read_catalogue(path: Path, study: Study) -> "pd.DataFrame":
    """Read and check a unit catalogue; every mistake names the file, the row and the column."""
    import pandas as pd  # heavy: only when a catalogue is read (the CLI's --help stays fast)

    if not path.is_file():
        raise StudyError(f"{path}: unit catalogue not found (study.yaml 'catalogue')")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in CATALOGUE_COLUMNS[:5] if c not in df.columns]
    unknown = [c for c in df.columns if c not in CATALOGUE_COLUMNS]
    if missing or unknown:
        raise StudyError(f"{path}: missing column(s) {missing}, unknown column(s) {unknown}; "
                         f"expected {CATALOGUE_COLUMNS} (the last four optional)")
    problems: list[str] = []
    codes = {a.code: a.name for a in study.areas}
    allowed = {"unit_type": set(study.unit_types), "opd": set(study.opds), "kelurahan_code": set(codes)}
    found: list[tuple[int, int, str]] = []  # (row, check order, message): checked column-wise, told row by row
    for order, (col, ok) in enumerate(allowed.items()):
        found += [(i, order, f", {col}: {df.at[i, col]!r} is not in the study's {col} list")
                  for i in df.index[~df[col].isin(ok)]]
    empty = (df["unit_id"].str.strip() == "") | (df["unit_name"].str.strip() == "")
    found += [(i, 3, ": unit_id and unit_name must not be empty") for i in df.index[empty]]
    for order, col in enumerate((c for c in _OPTIONAL if c in df), start=4):
        bad = df[col].map(lambda v: v != "" and not _is_number(v))
        found += [(i, order, f", {col}: {df.at[i, col]!r} is not a number") for i in df.index[bad]]
    problems += [f"row {i + 2}{msg}" for i, _, msg in sorted(found, key=lambda x: x[:2])]  # the header is line 1
    dup = df["unit_id"][df["unit_id"].duplicated()].tolist()
    if dup:
        problems.append(f"unit_id listed twice: {dup[:5]}")
    if problems:
        raise StudyError(f"{path}: {len(problems)} mistake(s)\n  " + "\n  ".join(problems[:20]))
    for col in _OPTIONAL:
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else float("nan")
    df["kelurahan"] = df["kelurahan_code"].map(codes)
    return df


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False
