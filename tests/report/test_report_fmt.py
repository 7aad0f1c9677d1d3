"""Numbers, percentages and dates per language."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from analysis.report import fmt


@pytest.mark.parametrize(("value", "digits", "id_text", "en_text"), [
    (12.5, 1, "12,5", "12.5"),
    (1234, 0, "1.234", "1,234"),
    (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
    (-3.25, 1, "\u22123,2", "\u22123.2"),  # typographic minus; half-even rounding of the float
    (0.004, 2, "0,00", "0.00"),  # no sign on a value that prints as zero
])
def test_number(value, digits, id_text, en_text):
    assert fmt.number(value, "id", digits) == id_text
    assert fmt.number(value, "en", digits) == en_text


def test_signed_and_missing():
    assert fmt.number(3.2, "id", 1, signed=True) == "+3,2"
    assert fmt.number(-0.04, "en", 1, signed=True) == "0.0"
    assert fmt.number(np.nan, "id") == fmt.number(None, "en") == "\u2014"


def test_percent_and_level():
    assert fmt.percent(0.125, "id", 1) == "12,5%"
    assert fmt.percent(0.125, "en", 1) == "12.5%"
    assert fmt.percent(0.4, "id") == "40%"
    assert fmt.level(0.05, "id") == "95%"
    assert fmt.level(0.1, "en") == "90%"
    assert fmt.level(0.025, "id") == "97,5%"


def test_p_value():
    assert fmt.p_value(0.412, "id") == "0,41"
    assert fmt.p_value(0.0042, "en") == "0.004"
    assert fmt.p_value(0.00001, "id") == "< 0,001"


def test_dates_months_quarters():
    assert fmt.date(date(2024, 3, 12), "id") == "12 Maret 2024"
    assert fmt.date("2024-03-12T08:30:00+00:00", "en") == "12 March 2024"
    assert fmt.month("2024-08", "id") == "Agustus 2024"
    assert fmt.month("2024-08", "en") == "August 2024"
    assert fmt.month("", "id") == "\u2014"
    for spelling in ("2024Q4", "2024-Q4", "2024-4"):
        assert fmt.quarter(spelling, "id") == "Triwulan IV 2024"
        assert fmt.quarter(spelling, "en") == "Q4 2024"
    assert sorted(["2024Q1", "2023Q4", "2023-Q2"], key=fmt.quarter_key) == ["2023-Q2", "2023Q4", "2024Q1"]


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        fmt.number(1.0, "fr")


def test_p_statement_reads_as_a_sentence():
    from analysis.report import fmt

    assert fmt.p_statement(0.0004, "id") == "p < 0,001"
    assert fmt.p_statement(0.02, "id") == "p = 0,02"
    assert fmt.p_statement(0.25, "en") == "p = 0.25"
