"""Numbers, percentages and dates written the way each language's readers expect.

Indonesian uses a decimal comma and a thousands dot (``1.234,5``), English the
reverse (``1,234.5``). Negative numbers use the typographic minus sign (U+2212),
which cannot be mistaken for the dash of a range (U+2013).
"""

from __future__ import annotations

import math
import re
from datetime import date as Date, datetime

from analysis.report.i18n import MONTHS, check_language, t

MINUS = "\u2212"
DASH = "\u2013"
MISSING = "\u2014"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"^(\d{4})\D*[Qq]?([1-4])$")
ROMAN = ("I", "II", "III", "IV")


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def number(value, language: str, digits: int = 1, *, signed: bool = False) -> str:
    """``1234.56`` -> ``1.234,6`` (id) / ``1,234.6`` (en); missing -> an em dash."""
    check_language(language)
    if is_missing(value):
        return MISSING
    value = float(value)
    text = f"{abs(value):,.{digits}f}"
    if language == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if round(abs(value), digits) == 0:
        return text  # no sign on a value that prints as zero
    if value < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def integer(value, language: str) -> str:
    return number(value, language, 0)


def percent(share, language: str, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage: ``0.125`` -> ``12,5%`` / ``12.5%`` (with ``digits=1``)."""
    if is_missing(share):
        return MISSING
    return number(float(share) * 100, language, digits) + "%"


def p_statement(p, language: str) -> str:
    """``p = 0,02`` or ``p < 0,001`` for use in a sentence."""
    text = p_value(p, language)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def p_value(p, language: str) -> str:
    """p-values with two significant decimals; very small ones as ``< 0,001``."""
    if is_missing(p):
        return MISSING
    if float(p) < 0.001:
        return "< " + number(0.001, language, 3)
    return number(p, language, 3 if float(p) < 0.01 else 2)


def level(alp: float, language: str) -> str:
    """Confidence level of intervals at significance ``alp``: 0.05 -> ``95%``."""
    conf = (1 - float(alp)) * 100
    return number(conf, language, 0 if abs(conf - round(conf)) < 1e-9 else 1) + "%"


def as_date(value) -> Date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, Date):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()


def date(value, language: str) -> str:
    """``2024-03-12`` -> ``12 Maret 2024`` / ``12 March 2024``."""
    d = as_date(value)
    return f"{d.day} {MONTHS[check_language(language)][d.month - 1]} {d.year}"


def month(value, language: str) -> str:
    """``2024-03`` -> ``Maret 2024`` / ``March 2024``; empty or missing -> an em dash."""
    if is_missing(value) or not str(value).strip():
        return MISSING
    match = _MONTH.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a month YYYY-MM (got {value!r})")
    year, mon = int(match.group(1)), int(match.group(2))
    return f"{MONTHS[check_language(language)][mon - 1]} {year}"


def quarter(value, language: str) -> str:
    """``2024Q1`` / ``2024-Q1`` / ``2024-1`` -> ``Triwulan I 2024`` / ``Q1 2024``."""
    match = _QUARTER.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a quarter like 2024Q1 (got {value!r})")
    year, q = int(match.group(1)), int(match.group(2))
    return t(language, "quarter", roman=ROMAN[q - 1], number=q, year=year)


def quarter_key(value) -> tuple[int, int]:
    """Sort key of a quarter label, whatever its spelling."""
    match = _QUARTER.match(str(value).strip())
    if not match:
        raise ValueError(f"expected a quarter like 2024Q1 (got {value!r})")
    return int(match.group(1)), int(match.group(2))
