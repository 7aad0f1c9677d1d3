"""Vectorised parsers for the text cells of Indonesian exports.

Each parser takes a Series of strings and returns ``(values, bad)``: parsed
values (NaT/NaN where empty or bad) and a boolean mask of non-empty cells that
did not parse. Empty cells are reported separately by the caller so a missing
value and a wrong value get different reject reasons.

Hand-written because pandas' ``to_datetime`` neither knows Indonesian month
names (``12 Maret 2024``) nor accepts several formats per column without
guessing (``03/04/2024`` must always mean 3 April).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BULAN = {"januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "maret": 3, "mar": 3, "april": 4, "apr": 4,
         "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8, "ags": 8,
         "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nop": 11,
         "desember": 12, "des": 12,
         # English month names appear in exports from English-locale Excel
         "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "aug": 8,
         "october": 10, "oct": 10, "december": 12, "dec": 12}
TS = "datetime64[ms]"


def norm(s: pd.Series) -> pd.Series:
    """Lower case, every run of non-alphanumerics -> one space, trimmed (for matching labels)."""
    return s.astype(str).str.lower().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()


def is_empty(s: pd.Series) -> np.ndarray:
    return (s.astype(str).str.strip() == "").to_numpy()


def blank_missing(col: pd.Series, spellings: frozenset[str]) -> pd.Series:
    """Cells spelled as missing (``NULL``, ``-``, ``#N/A``, ...; see plausibility.yaml) become ``""``."""
    codes, uniq = pd.factorize(col.to_numpy(dtype=object))
    miss = pd.Series(uniq, dtype=object).astype(str).str.strip().str.lower().isin(spellings).to_numpy()
    if not miss.any():
        return col
    return col.mask(np.append(miss, False)[codes], "")


def _from_parts(y, m, d) -> pd.Series:
    frame = pd.DataFrame({"year": pd.to_numeric(y, errors="coerce"), "month": pd.to_numeric(m, errors="coerce"),
                          "day": pd.to_numeric(d, errors="coerce")})
    ok = frame.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=frame.index, dtype=TS)
    if ok.any():
        f = frame[ok].astype("int64")
        out[ok] = pd.to_datetime(f, errors="coerce").astype(TS)
    return out


def parse_date(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """ISO ``2024-03-12`` (optionally `` 00:00:00`` from Excel), ``12/03/2024`` (day first), ``12 Maret 2024``."""
    t = s.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype=TS)
    iso = t.str.extract(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
    sl = t.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
    ind = t.str.extract(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")
    mon = ind[1].str.lower().map(BULAN)
    for y, m, d, sel in ((iso[0], iso[1], iso[2], iso[0].notna()), (sl[2], sl[1], sl[0], sl[0].notna()),
                         (ind[2], mon, ind[0], ind[0].notna() & mon.notna())):
        if sel.any():
            out[sel] = _from_parts(y[sel], m[sel], d[sel])
    bad = (out.isna() & ~pd.Series(is_empty(s), index=s.index)).to_numpy()
    return out, bad


def parse_month(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``2024-03``, ``03/2024``, ``Maret 2024`` or any full date -> first day of that month."""
    t = s.astype(str).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype=TS)
    iso = t.str.extract(r"^(\d{4})-(\d{1,2})$")
    sl = t.str.extract(r"^(\d{1,2})/(\d{4})$")
    ind = t.str.extract(r"^([A-Za-z]+)\.?\s+(\d{4})$")
    mon = ind[0].str.lower().map(BULAN)
    one = pd.Series("1", index=s.index)
    for y, m, sel in ((iso[0], iso[1], iso[0].notna()), (sl[1], sl[0], sl[0].notna()),
                      (ind[1], mon, ind[0].notna() & mon.notna())):
        if sel.any():
            out[sel] = _from_parts(y[sel], m[sel], one[sel])
    rest = out.isna() & ~pd.Series(is_empty(s), index=s.index)
    if rest.any():
        full, _ = parse_date(s[rest])
        out[rest] = full.dt.to_period("M").dt.to_timestamp().astype(TS).where(full.notna())
    bad = (out.isna() & ~pd.Series(is_empty(s), index=s.index)).to_numpy()
    return out, bad


def parse_time(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``08:15:32``, ``08.15.32`` or ``08:15`` -> Timedelta since midnight."""
    t = s.astype(str).str.strip()
    p = t.str.extract(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
    h, m, sec = (pd.to_numeric(p[i], errors="coerce") for i in range(3))
    sec = sec.fillna(0).where(h.notna())
    ok = h.notna() & (h < 24) & (m < 60) & (sec < 60)
    secs = (h * 3600 + m * 60 + sec).where(ok)
    out = pd.to_timedelta(secs, unit="s")
    bad = (~ok & ~pd.Series(is_empty(s), index=s.index)).to_numpy()
    return out, bad


#: Integer forms per declared column locale (README "Numbers"). ``id``: ``.`` groups thousands,
#: ``,`` is the decimal mark; ``en`` the other way round. A fraction of zeros is Excel's ``12.0``/``12,0``
#: unless it is a group of exactly three digits after the grouping mark: ``19.000`` is 19000 in ``id``.
_INT_FORMS = {
    "id": (r"^(-?\d{1,3}(?:\.\d{3})+)(?:,0+)?$", r"^(-?\d+)(?:,0+|\.0{1,2}|\.0{4,})?$", "."),
    "en": (r"^(-?\d{1,3}(?:,\d{3})+)(?:\.0+)?$", r"^(-?\d+)(?:\.0+|,0{1,2}|,0{4,})?$", ","),
}


def parse_int(s: pd.Series, locale: str = "id") -> tuple[pd.Series, np.ndarray]:
    """Integers as Indonesians (``locale='id'``) or English-locale Excel (``'en'``) write them.

    ``id``: ``19.000`` and ``1.234.567`` are thousands, ``12,0`` and Excel's ``12.0`` are 12; ``1,5`` is not
    an integer. ``en`` swaps the roles of ``.`` and ``,``. Spaces between digit groups are dropped.
    """
    grouped, plain, mark = _INT_FORMS[locale]
    t = s.astype(str).str.strip().str.replace(r"(?<=\d)[ \u00a0](?=\d{3}\b)", "", regex=True)
    g = t.str.extract(grouped)[0].str.replace(mark, "", regex=False)
    m = g.fillna(t.str.extract(plain)[0])
    out = pd.to_numeric(m, errors="coerce").astype("float64")
    bad = (out.isna() & ~pd.Series(is_empty(s), index=s.index)).to_numpy()
    return out, bad


def parse_int_id(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return parse_int(s, "id")


def parse_int_en(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    return parse_int(s, "en")


INT_PARSERS = {"id": parse_int_id, "en": parse_int_en}


def parse_float(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Decimal comma (``72,35``) or point; with both, the last mark is the decimal (``1.234,5``, ``1,234.5``).

    A repeated mark groups thousands (``1.234.567``). A lone mark is always the decimal mark: float
    columns (distances, scores) hold small numbers, so ``3.456`` is 3.456 km in either locale.
    """
    t = s.astype(str).str.strip().str.replace(r"[ \u00a0]", "", regex=True)
    last_comma = t.str.rfind(",")
    last_dot = t.str.rfind(".")
    comma_dec = (last_comma > last_dot) & (last_dot >= 0)  # 1.234,5
    dot_dec = (last_dot > last_comma) & (last_comma >= 0)  # 1,234.5
    t = t.where(~comma_dec, t.str.replace(".", "", regex=False))
    t = t.where(~dot_dec, t.str.replace(",", "", regex=False))
    t = t.where(~(t.str.count(r"\.") > 1), t.str.replace(".", "", regex=False))
    t = t.where(~(t.str.count(",") > 1), t.str.replace(",", "", regex=False))
    t = t.str.replace(",", ".", regex=False)
    ok = t.str.fullmatch(r"-?\d+(\.\d+)?")
    out = pd.to_numeric(t.where(ok), errors="coerce").astype("float64")
    bad = (out.isna() & ~pd.Series(is_empty(s), index=s.index)).to_numpy()
    return out, bad


def parse_category(s: pd.Series, aliases: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Map labels through ``aliases`` (normalised label -> canonical value)."""
    out = norm(s).map(aliases).astype(object)
    bad = (out.isna() & ~pd.Series(is_empty(s), index=s.index)).to_numpy()
    return out, bad


def nip_digits(s: pd.Series) -> pd.Series:
    return s.astype(str).str.replace(r"\D", "", regex=True)


#: A syntactically valid 18-digit layout (1900-01-01, TMT 1990-01, sex 1, sequence 001) that stands in
#: for malformed values so the vectorised date checks below need no special cases. Not a real NIP.
_PARSEABLE_FILLER = "".join(("19000101", "199001", "1", "001"))


def nip_problems(d: pd.Series, bounds: dict, last_year: int) -> list[tuple[str, np.ndarray]]:
    """Reasons an NIP/NI (digits only) is rejected, in check order: ``[(reason, mask), ...]``.

    ``bounds`` is the ``nip`` block of plausibility.yaml; ``last_year`` the last year a TMT may fall in
    (end of the study window). PPPK NI carry ``2`` in digit 13, where a PNS NIP has the first digit of
    the TMT month, so their month is not checked.
    """
    shape = ~d.str.fullmatch(r"\d{18}").fillna(False).to_numpy()
    dd = d.where(~shape, _PARSEABLE_FILLER)  # rows failing the shape check are already rejected
    birth = pd.to_datetime(dd.str[:8], format="%Y%m%d", errors="coerce")
    lo, hi = bounds["birth_year"]
    bad_birth = (birth.isna() | ~birth.dt.year.between(lo, hi)).to_numpy()
    pppk = (dd.str[12] == "2").to_numpy()
    tmt_year = pd.to_numeric(dd.str[8:12], errors="coerce").to_numpy()
    tmt_month = pd.to_numeric(dd.str[12:14], errors="coerce").to_numpy()
    earliest = birth.dt.year.to_numpy(dtype="float64") + bounds["min_age_at_tmt"]
    bad_tmt = ~((tmt_year >= earliest) & (tmt_year <= last_year) & (pppk | ((tmt_month >= 1) & (tmt_month <= 12))))
    bad_sex = ~dd.str[14].isin([str(x) for x in bounds["sex_digits"]]).to_numpy()
    bad_serial = (dd.str[15:18] == "000").to_numpy()
    r = bounds["reasons"]
    return [("invalid_nip", shape), (r["birth"], bad_birth), (r["tmt"], bad_tmt), (r["sex"], bad_sex),
            (r["serial"], bad_serial)]


def nip_status(d: pd.Series) -> pd.Series:
    """PPPK NI carry '2' in digit 13, where a PNS NIP has the first digit of the TMT month (0 or 1)."""
    return pd.Series(np.where(d.str[12] == "2", "PPPK", "PNS"), index=d.index)


def nip_sex(d: pd.Series) -> pd.Series:
    return pd.Series(np.where(d.str[14] == "1", "L", "P"), index=d.index)
