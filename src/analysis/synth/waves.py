"""Adoption in waves by area: a city rolls KPI management out kecamatan by kecamatan.

In a study grouped by kecamatan (``grouping: kecamatan``), each kecamatan is given an adoption wave
(one of the generator's cohorts) or none (about ``never_share`` of the kecamatan never adopt in the
window), and each unit of a kecamatan adopts in its wave or shortly after (``LAG`` months later,
with ``LAG_WEIGHTS``), as offices of one kecamatan follow their camat within a few months. The
wave sets a unit's effect size and pre-trend loading (earlier waves gain more); its own adoption
month sets when the effect starts, so the truth files follow the units' months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Months a unit adopts after its kecamatan's wave, and how often.
LAG = np.array([0, 1, 2])
LAG_WEIGHTS = np.array([0.6, 0.3, 0.1])


def by_area(area: pd.Series, cohorts: list[int], never_share: float, months: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(wave, first_treat)`` per unit, from the name of the area each unit lies in (0 = never).

    Areas are drawn in a random order; the first ``never_share`` of them (at least one) never adopt and
    the rest are dealt to the cohorts in turn, so waves have similar numbers of areas.
    """
    names = np.array(sorted(area.unique()), dtype=object)
    order = names[rng.permutation(len(names))]
    n_never = max(1, int(round(never_share * len(order))))
    wave_of = {a: 0 for a in order[:n_never]}
    wave_of |= {a: cohorts[j % len(cohorts)] for j, a in enumerate(order[n_never:])}
    wave = area.map(wave_of).to_numpy(dtype="int64")
    lag = rng.choice(LAG, size=len(wave), p=LAG_WEIGHTS)
    first_treat = np.where((wave > 0) & (wave + lag <= months), wave + lag, wave)
    return wave, first_treat
