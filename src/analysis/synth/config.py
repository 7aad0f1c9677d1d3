"""Parameters of the synthetic data set (seeded; same config => same bytes)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from analysis.study import DEFAULT as DEFAULT_STUDY


@dataclass(frozen=True)
class MessyConfig:
    """How messy the raw exports are. Every rate is a per-row probability; 0 => clean.

    ``formats`` switches the file-level variety (``;`` + decimal comma, UTF-8 BOM,
    Windows-1252, ``.xlsx``); ``header_variants`` renames headers per file.
    """

    formats: bool = True
    header_variants: bool = True
    date_formats: float = 0.3  # Indonesian dates: "12 Maret 2024", "12/03/2024"
    nip_spaces: float = 0.3  # NIP printed in groups "YYYYMMDD YYYYMM S NNN"
    unit_name_variants: float = 0.2  # "Kel. X", "PKM X", upper case, extra spaces
    category_variants: float = 0.2  # "Datang Langsung"/"Walk-in", "Laki-laki"/"L", ...
    duplicates: float = 0.01  # resubmitted rows (merged, not rejected)
    likert_out_of_range: float = 0.004  # SKM answer 0, 5 or 9
    missing_values: float = 0.002  # SKM answer left empty
    missing_timestamps: float = 0.004
    negative_waits: float = 0.004  # called before issued
    test_tickets: float = 0.002  # extra test rows written by the queue system
    invalid_nip: float = 0.002  # NIP with a digit dropped
    unknown_unit: float = 0.001  # unit name that matches no unit

    @classmethod
    def none(cls) -> "MessyConfig":
        """Perfectly clean exports: UTF-8 CSV, ISO dates, canonical headers and names."""
        zero = {f.name: (False if f.type in (bool, "bool") else 0.0) for f in dataclasses.fields(cls)}
        return cls(**zero)


def _default_cohorts() -> tuple[float, ...]:
    return (1 / 6, 1 / 3, 1 / 2, 2 / 3)


@dataclass(frozen=True)
class SynthConfig:
    """Generator parameters.

    ``scale`` sets ticket volume: scale=1 writes 10% of the reported daily volumes
    (the default study's main Disdukcapil office ~30 tickets a day instead of ~300) so the default data set
    generates and cleans in seconds; scale=10 is the reported volume. Surveys,
    rosters, SKP, health and school tables do not depend on ``scale``; SKM samples
    are drawn around the Krejcie-Morgan size (x0.65-1.25, so some unit-quarters
    fall short) times ``skm_sample_scale``.

    Cohorts adopt at period ``round(f * months) + 1`` for each fraction in
    ``cohort_fractions``; about ``never_share`` of units never adopt in the window.
    Effects grow with time since adoption, ``1 - exp(-(e + 1) / ramp_months)``, times
    a cohort multiplier (earlier cohorts gain more) and ``effect_scale``.
    ``anticipation`` shifts the start of effects that many months before adoption.
    ``pretrend_violation`` adds a differential trend to untreated outcomes of later
    cohorts (0 = parallel trends hold).
    """

    seed: int = 20240101
    study: str = DEFAULT_STUDY  # study name or folder (analysis.study): units, vocabularies
    months: int = 36
    start: str = "2023-01"
    scale: float = 1.0
    anticipation: int = 0
    pretrend_violation: float = 0.0
    effect_scale: float = 1.0
    messy: MessyConfig = field(default_factory=MessyConfig)
    cohort_fractions: tuple[float, ...] = field(default_factory=_default_cohorts)
    never_share: float = 0.2
    ramp_months: float = 6.0
    skm_sample_scale: float = 1.0  # <1 shrinks SKM samples below Krejcie-Morgan (tiny test data sets)
    queue_launch_month: str = "2025-07"
    queue_unit: str = "DUK01"
    queue_wait_factor: float = 0.7
    paper_share: float = 0.25  # adopters whose uptake is low (adoption on paper): analysis.synth.uptake

    def __post_init__(self) -> None:
        if self.months < 4:
            raise ValueError("months must be at least 4")
        if self.scale <= 0:
            raise ValueError("scale must be positive")
        if self.anticipation < 0:
            raise ValueError("anticipation must be >= 0")
        if not 0 < self.queue_wait_factor <= 1:
            raise ValueError("queue_wait_factor must be in (0, 1]")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
