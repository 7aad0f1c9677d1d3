"""The run parameters of the evaluation, declared once.

Every parameter a reviewer may change lives in :class:`RunParams` with its type,
default, allowed values and a one-line help. The YAML files in ``params/``, the
``--set key=value`` overrides, the notebooks' ``parameters`` cells and
``analysis params NOTEBOOK`` all read this one declaration, so a value is checked
before any notebook runs and a notebook can never receive a key it does not know.

pydantic does the type and range checking; this module only turns its errors into
messages that name the key and its valid choices.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from analysis.study import DEFAULT as DEFAULT_STUDY

#: Parameters the runner sets itself; every other notebook parameter must be a RunParams field.
RUNNER_PARAMETERS = {
    "run_dir": "Run folder the notebook writes into (set by the runner)",
    "unit_id": "Service unit of a per-unit brief; empty: the whole kecamatan (set by `analysis brief --unit`)",
    "area": "Area of an area brief (kelurahan, kecamatan or kab/kota); empty otherwise (set by `analysis brief --area`)",
}

#: Outcomes of the unit-period panels, in the vocabulary of the data layer.
OUTCOMES = (
    "ikm",
    "wait_minutes",
    "service_minutes",
    "share_within_1h",
    "online_share",
    "skp_good_share",
    "training_coverage",
    "assessment_score",
    "incidence_per_10k",
)
Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]
Covariate = Literal["baseline_staff", "distance_km"]
#: Parameters whose valid values are data of the chosen study: parameter -> Study attribute.
STUDY_CHOICES = {"unit_types": "unit_types"}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MEMORY = re.compile(r"^\d+(\.\d+)?\s*([KMGT]i?B)$", re.IGNORECASE)
SPARK_MASTER = re.compile(r"^(local(\[(\d+|\*)(,\d+)?\])?|spark://[\w.\-]+(:\d+)?(,[\w.\-]+(:\d+)?)*|yarn|k8s://\S+)$")


class ParameterError(ValueError):
    """A run parameter is unknown, of the wrong type or out of range."""


class RunParams(BaseModel):
    """Parameters of one evaluation run (defaults: the main specification of the default study)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    # --- data -----------------------------------------------------------------
    study: str = Field(DEFAULT_STUDY, description="Study area: a folder under studies/ (study.yaml + unit catalogue) "
                                            "or a path to one")
    raw_dir: str = Field("data/raw", description="Folder of raw exports (synthetic or a real export)")
    interim_dir: str = Field("data/interim", description="Folder for canonical, pseudonymised tables")
    processed_dir: str = Field("data/processed", description="Folder for analysis panels")
    synthesize: Literal["if_empty", "never"] = Field(
        "if_empty", description="Generate the synthetic data set when raw_dir is empty or absent, or never"
    )
    start_month: str = Field("", description="First month analysed, YYYY-MM; empty: from the first month in the data")
    end_month: str = Field("", description="Last month analysed, YYYY-MM; empty: to the last month in the data")
    units: list[str] = Field(default_factory=list, description="unit_id values to include; empty: all units")
    unit_types: list[str] = Field(default_factory=list, description="Unit types to include; empty: all types")
    # --- data layer (README: Engines) ----------------------------------------
    engine: Literal["duckdb", "spark", "pandas"] = Field(
        "duckdb", description="Data layer engine: duckdb (out of core on this machine), spark (local or a cluster; "
                              "needs the [spark] extra and Java) or pandas (per-file, in memory)")
    memory_limit: str = Field("4GB", description="Memory the engine may use before spilling to disk (DuckDB; "
                                                 "Spark driver), e.g. 4GB or 512MB")
    spark_master: str = Field("local[2]", description="Spark master with engine spark: local[N] or "
                                                      "spark://host:7077 (an existing cluster)")
    spark_conf: dict[str, str] = Field(default_factory=dict, description="Extra Spark settings with engine spark, "
                                       "e.g. {spark.executor.memory: 8g}")
    # --- estimation -----------------------------------------------------------
    outcomes: list[Outcome] = Field(
        default_factory=lambda: [
            "ikm",
            "wait_minutes",
            "share_within_1h",
            "skp_good_share",
            "training_coverage",
            "assessment_score",
            "incidence_per_10k",
        ],
        min_length=1,
        description="Outcomes to estimate, each used as yname; the first is the headline",
    )
    estimator: Literal["cs", "twfe", "sunab", "imputation"] = Field(
        "cs", description="Headline estimator: Callaway-Sant'Anna (cs), TWFE, Sun-Abraham or imputation"
    )
    est_method: Literal["dr", "ipw", "reg"] = Field("dr", description="Callaway-Sant'Anna estimation method")
    control_group: Literal["nevertreated", "notyettreated"] = Field(
        "nevertreated", description="Comparison group: never-adopting or not-yet-adopting units"
    )
    covariates: list[Covariate] = Field(default_factory=list, description="Time-invariant unit covariates (xformla)")
    anticipation: int = Field(0, ge=0, le=6, description="Months of anticipation before adoption")
    base_period: Literal["varying", "universal"] = Field("varying", description="Base period for pre-adoption cells")
    min_e: int = Field(-12, ge=-35, le=0, description="First event time (months since adoption) shown")
    max_e: int = Field(12, ge=0, le=35, description="Last event time (months since adoption) shown")
    inference: Literal["auto", "analytic", "bootstrap", "wild", "randomization"] = Field(
        "auto", description="Inference method; auto picks by the number of clusters"
    )
    biters: int = Field(999, ge=99, le=99_999, description="Bootstrap or randomisation draws")
    alp: float = Field(0.05, gt=0.0, le=0.2, description="Significance level; 0.05 gives 95% intervals")
    seed: int = Field(20240101, ge=0, description="Seed of every random draw in the run")
    asn_level: bool = Field(True, description="Also estimate the effect on each employee's chance of a good SKP "
                                              "(employee x month panel, streamed in chunks, clustered by office)")
    asn_period: Literal["quarter", "month"] = Field(
        "quarter", description="Periods of the employee-level estimate: quarter (share of appraised months rated "
                               "good; months often lack an appraisal) or month (every month appraised)")
    asn_chunks: int = Field(4, ge=1, le=100_000, description="Chunks of employees the employee-level estimate reads "
                                                             "at a time (sets memory use, not the result)")
    # --- brief ----------------------------------------------------------------
    language: Literal["id", "en"] = Field("id", description="Language of the brief and figure labels")
    min_cell: int = Field(10, ge=3, le=1000, description="Smallest count or group shown in a brief")
    brief_max_rows: int = Field(
        60, ge=10, le=1_000_000,
        description="Most units a brief's table lists one by one; above it, by area with the units at each end",
    )
    brief_end_rows: int = Field(
        5, ge=1, le=50, description="Units at each end (lowest, highest IKM) a summarised brief table names"
    )
    # --- synthetic data (used only when raw_dir holds no export) --------------
    synth_months: int = Field(36, ge=12, le=120, description="Months generated when raw_dir is empty")
    synth_scale: float = Field(1.0, gt=0.0, le=100.0, description="Volume scale of generated data")
    synth_pretrend_violation: float = Field(
        0.0, ge=0.0, le=5.0, description="Strength of the generated parallel-trends violation; 0: none"
    )
    synth_anticipation: int = Field(0, ge=0, le=6, description="Months of generated anticipation effects")

    @field_validator("start_month", "end_month")
    @classmethod
    def _month(cls, value: str) -> str:
        if value and not MONTH.match(value):
            raise ValueError(f"expected YYYY-MM or '' (got {value!r})")
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not MEMORY.match(value):
            raise ValueError("expected a size such as 4GB, 512MB or 1.5GiB")
        return value

    @field_validator("spark_master")
    @classmethod
    def _master(cls, value: str) -> str:
        if not SPARK_MASTER.match(value):
            raise ValueError("expected local, local[N], local[*], spark://host:port, yarn or k8s://https://host:port")
        return value

    @field_validator("spark_conf", mode="before")
    @classmethod
    def _conf(cls, value: Any) -> Any:
        """Settings are strings to Spark; YAML numbers and booleans are written as Spark reads them."""
        if not isinstance(value, dict):
            return value
        out = {}
        for k, v in value.items():
            if not str(k).startswith("spark."):
                raise ValueError(f"setting {k!r} is not a Spark setting (they start with 'spark.')")
            if isinstance(v, (dict, list)) or v is None:
                raise ValueError(f"setting {k!r} needs a single value")
            out[str(k)] = str(v).lower() if isinstance(v, bool) else str(v)
        return out

    @field_validator("outcomes", "covariates", "units", "unit_types", mode="before")
    @classmethod
    def _list_forms(cls, value: Any) -> Any:
        """A list may also be written ``a,b`` (what a shell user types after ``--set``)."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("outcomes", "covariates", "units", "unit_types")
    @classmethod
    def _no_duplicates(cls, value: list) -> list:
        if len(set(value)) != len(value):
            raise ValueError("values must not repeat")
        return value

    @field_validator("unit_types")
    @classmethod
    def _of_the_study(cls, value: list, info: ValidationInfo) -> list:
        """Unit types are the study's (its study.yaml), not a list in code."""
        known = _study_values(info.data.get("study"), "unit_types")
        unknown = [v for v in value if known is not None and v not in known]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} not a unit type of study "
                             f"'{info.data.get('study')}' (its unit types: {', '.join(known)})")
        return value

    @model_validator(mode="after")
    def _window(self) -> "RunParams":
        if self.start_month and self.end_month and self.start_month > self.end_month:
            raise ValueError(f"start_month {self.start_month} is after end_month {self.end_month}")
        return self

    def differences(self, other: "RunParams | None" = None) -> dict[str, Any]:
        """Parameters whose value differs from ``other`` (default: the defaults)."""
        base = (other or RunParams()).model_dump()
        return {k: v for k, v in self.model_dump().items() if base[k] != v}


def _study_values(study: str | None, attribute: str) -> list[str] | None:
    """``attribute`` of the study named ``study`` (None if it cannot be read: the run names that error)."""
    from analysis import study as St

    try:
        return list(getattr(St.load(study or DEFAULT_STUDY), attribute))
    except St.StudyError:
        return None


# --------------------------------------------------------------------------- errors
#: How a list is written, shown in every error about a list parameter.
LIST_FORMS = "write a list as a,b or [a, b]"


def _choices(name: str) -> str:
    annotation = RunParams.model_fields[name].annotation
    if name in STUDY_CHOICES:
        values = _study_values(None, STUDY_CHOICES[name]) or []
        return (f"valid choices: the study's {STUDY_CHOICES[name]} (study.yaml; default study: "
                f"{', '.join(map(repr, values))}); {LIST_FORMS}")
    forms = ""
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
        forms = f"; {LIST_FORMS}"
    if get_origin(annotation) is Literal:
        return "valid choices: " + ", ".join(repr(a) for a in get_args(annotation)) + forms
    if forms:
        return f"expected a list of {getattr(annotation, '__name__', annotation)}{forms}"
    field = RunParams.model_fields[name]
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "min_length": "length >="}
    bounds = [f"{sym} {getattr(m, attr)}" for m in field.metadata for attr, sym in symbols.items() if hasattr(m, attr)]
    kind = getattr(annotation, "__name__", str(annotation))
    return f"expected {kind}" + (f" ({', '.join(bounds)})" if bounds else "")


def _explain(error: ValidationError, source: str) -> ParameterError:
    lines = []
    for item in error.errors():
        key = str(item["loc"][0]) if item["loc"] else ""
        if item["type"] == "extra_forbidden":
            close = difflib.get_close_matches(key, RunParams.model_fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            lines.append(f"unknown parameter '{key}'{hint}; valid parameters: {', '.join(RunParams.model_fields)}")
        elif key in RunParams.model_fields:
            lines.append(f"parameter '{key}': {item['msg'].removeprefix('Value error, ')} (got {item.get('input')!r}); {_choices(key)}")
        else:
            lines.append(item["msg"].removeprefix("Value error, "))
    return ParameterError(f"invalid parameters in {source}:\n  - " + "\n  - ".join(lines))


# --------------------------------------------------------------------------- loading
def parse_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``["anticipation=1", "outcomes=[ikm]"]`` -> typed values (parsed as YAML, like the files)."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set expects key=value (got {pair!r})")
        values[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    return values


def load_params(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> RunParams:
    """Read a parameters YAML file (None = the defaults), apply overrides, validate everything."""
    values: dict[str, Any] = {}
    source = "the defaults"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ParameterError(f"parameters file not found: {path}")
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ParameterError(f"{path}: expected a mapping of parameter: value")
        values.update(loaded)
        source = str(path)
    if overrides:
        values.update(overrides)
        source += " with --set " + ", ".join(overrides)
    try:
        return RunParams.model_validate(values)
    except ValidationError as exc:
        raise _explain(exc, source) from None


def describe_parameters(names: list[str] | None = None) -> list[dict[str, str]]:
    """Type, default, allowed values and help of each parameter (all, or ``names``)."""
    defaults = RunParams().model_dump()
    rows = []
    for name, field in RunParams.model_fields.items():
        if names is not None and name not in names:
            continue
        rows.append(
            {
                "name": name,
                "type": _type_name(field.annotation),
                "default": repr(defaults[name]),
                "allowed": _choices(name).removeprefix("valid choices: ").removeprefix("expected "),
                "help": field.description or "",
            }
        )
    return rows


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is list:
        (inner,) = get_args(annotation)
        return f"list[{'str' if get_origin(inner) is Literal else inner.__name__}]"
    if get_origin(annotation) is Literal:
        return "str"
    return annotation.__name__
