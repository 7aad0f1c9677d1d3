"""Disclosure control: small cells are suppressed or merged; identifiers never pass the guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.pseudonym import pseudonymise
from analysis.report.disclosure import DisclosureError, check_text, count_label, find_identifiers, merge_small, suppress


@pytest.mark.parametrize("text", [
    "Pegawai 198503122010011003 dinilai baik.",  # NIP run together
    "NIP 19850312 201001 1 003 tercatat.",  # NIP as printed on documents
    "NI PPPK 199001012023211004",
    "NIK 1671034501900003 pemohon",
    f"ASN {pseudonymise('198503122010011003', b'k')} menilai",  # the data layer's pseudonym
    "kode 9f86d081884c7d659a2feaa0c55ad015",  # a bare keyed hash
])
def test_guard_catches_identifiers(text):
    with pytest.raises(DisclosureError, match="personal identifier"):
        check_text(text)


def test_guard_does_not_print_the_identifier_it_found():
    with pytest.raises(DisclosureError) as info:
        check_text("NIP 198503122010011003")
    assert "198503122010011003" not in str(info.value)


@pytest.mark.parametrize("text", [
    "Dari 73.815 baris mentah, 72.909 dipakai.", "1,234,567 rows", "Run: 20260115-083000-3fa2c1d9",
    "Versi kode: 4b825dc642.", "Triwulan IV 2024: IKM 90,3", "KTP-el, KK dan SKTM",
    "![](data:image/png;base64,iVBORw0KGgo198503122010011003AAAA)",
])
def test_guard_passes_ordinary_brief_text(text):
    assert find_identifiers(text) == []
    assert check_text(text) == text


def test_counts_below_min_cell_are_shown_as_less_than():
    assert count_label(6, 10, "id") == "<10"
    assert count_label(10, 10, "id") == "10"
    assert count_label(1234, 10, "id") == "1.234"
    assert count_label(4, 5, "en") == "<5"


def test_suppress_blanks_means_of_small_cells():
    frame = pd.DataFrame({"unit": ["a", "b"], "n": [6, 40], "ikm": [91.0, 80.0]})
    out = suppress(frame, "n", ["ikm"], 10)
    assert np.isnan(out.loc[0, "ikm"]) and out.loc[1, "ikm"] == 80.0
    assert out["suppressed"].tolist() == [True, False]


def test_merge_small_pools_rows_with_weighted_means():
    frame = pd.DataFrame({"channel": ["online"] * 3 + ["walk_in"], "service": ["KTP-el", "SKTM", "Ahli Waris", "SKTM"],
                          "n": [500, 4, 6, 3], "mean": [30.0, 10.0, 20.0, 50.0], "median": [25.0, 9.0, 18.0, 45.0]})
    out = merge_small(frame, ["channel"], "service", "other", "n", ["mean"], ["median"], 10).set_index(
        ["channel", "service"])
    merged = out.loc[("online", "other")]
    assert merged["n"] == 10 and merged["mean"] == pytest.approx((4 * 10 + 6 * 20) / 10)
    assert np.isnan(merged["median"])  # a median cannot be pooled from medians
    assert out.loc[("walk_in", "other"), "suppressed"]  # still below min_cell after merging
    assert np.isnan(out.loc[("walk_in", "other"), "mean"])
    assert out.loc[("online", "KTP-el"), "mean"] == 30.0
    assert ("online", "SKTM") not in out.index
