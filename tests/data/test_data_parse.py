"""Parsers of messy cells, and that every variant the generator writes is understood by cleaning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import schemas
from analysis.clean import parse as P
from analysis.clean import specs as S
from analysis.clean.tables import _parse_quarter, _parse_semester
from analysis.study import load as load_study
from analysis.synth import export


def test_dates_indonesian_and_slash_day_first():
    s = pd.Series(["2024-03-12", "12 Maret 2024", "12/03/2024", "3 Agustus 2023", "2024-03-12 00:00:00", "", "31/02/2024",
                   "12 Foo 2024"])
    v, bad = P.parse_date(s)
    assert list(v[:5]) == [pd.Timestamp("2024-03-12")] * 3 + [pd.Timestamp("2023-08-03"), pd.Timestamp("2024-03-12")]
    assert pd.isna(v[5]) and not bad[5]  # empty is missing, not bad
    assert bad[6] and bad[7]


def test_months_times_numbers():
    m, bad = P.parse_month(pd.Series(["2024-03", "Maret 2024", "03/2024", "x"]))
    assert list(m[:3]) == [pd.Timestamp("2024-03-01")] * 3 and bad.tolist() == [False, False, False, True]
    t, bad = P.parse_time(pd.Series(["08:15:32", "08.15.32", "8:15", "25:00:00"]))
    assert t[0] == t[1] == pd.Timedelta("08:15:32") and t[2] == pd.Timedelta("08:15:00") and bad[3]
    f, bad = P.parse_float(pd.Series(["72,35", "72.35", "1.234,5", "abc"]))
    assert f[:3].tolist() == [72.35, 72.35, 1234.5] and bad[3]
    i, bad = P.parse_int(pd.Series(["12", "12.0", "1.5", ""]))
    assert i[:2].tolist() == [12, 12] and bad.tolist() == [False, False, True, False]


def test_nip_validation_status_and_sex():
    d = P.nip_digits(pd.Series(["19850312 201001 1 003", "'199001012021212005", "19850312201001100", "19851332201001 1003",
                                "198503122010131003"]))
    problems = P.nip_problems(d, schemas.PLAUSIBILITY["nip"], last_year=2025)
    first = [next((r for r, bad in problems if bad[i]), None) for i in range(len(d))]
    assert first == [None, None, "invalid_nip", "implausible_nip_birth", "implausible_nip_tmt"]
    assert P.nip_status(d[:2]).tolist() == ["PNS", "PPPK"] and P.nip_sex(d[:2]).tolist() == ["L", "P"]


def test_quarter_and_semester_labels():
    q, bad = _parse_quarter(pd.Series(["2023Q1", "TW III 2024", "Triwulan 4 2023", "Q5"]))
    assert q[:3].tolist() == ["2023Q1", "2024Q3", "2023Q4"] and bad[3]
    s, bad = _parse_semester(pd.Series(["Ganjil 2023/2024", "Genap 2023/2024", "Semester 1 2022/2023",
                                        "2023/2024 Genap", "2023-07", "x"]))
    assert s[:5].tolist() == [pd.Timestamp(x) for x in ("2023-07-01", "2024-01-01", "2022-07-01", "2024-01-01",
                                                         "2023-07-01")]
    assert bad[5]


STUDY = load_study()
ALIASES = S.study_aliases(STUDY)
CITY = frozenset(S.key(STUDY.city).split())
UNIT_ROWS = list(zip(STUDY.units["unit_id"], STUDY.units["unit_name"]))


def test_every_unit_name_variant_maps_to_its_unit():
    lookup = {}
    for uid, name, *_ in UNIT_ROWS:
        k = S.unit_key(name, CITY)
        assert k not in lookup, f"{name} collides with {lookup.get(k)}"
        lookup[k] = uid
    for uid, name, *_ in UNIT_ROWS:
        for v in export.name_variants(name, STUDY.city):
            assert lookup.get(S.unit_key(v, CITY)) == uid, v
    assert S.unit_key(export.unknown_unit(STUDY), CITY) not in lookup


@pytest.mark.parametrize("vocabulary, aliases", [
    ("channel", S.CHANNEL), ("sex", S.SEX), ("education", S.EDUCATION_A), ("occupation", S.OCCUPATION_A),
    ("rating", S.RATING), ("predikat", S.PREDIKAT_A), ("service", ALIASES["service"]),
    ("disease", ALIASES["disease"]), ("unit_type", ALIASES["unit_type"])])
def test_every_label_variant_is_accepted(vocabulary, aliases):
    known = set(aliases.values())
    variants = {c: v for c, v in export.labels(vocabulary, known).items() if c in known}
    assert set(variants) == known
    for canon, spellings in variants.items():
        vals, bad = P.parse_category(pd.Series(list(spellings)), aliases)
        assert not bad.any() and set(vals) == {canon}, spellings


def test_every_header_variant_is_accepted():
    for table in S.HEADERS:
        fields = export.headers(table)
        accepted = {fld: {S.key(a) for a in (fld, *aliases)} for fld, aliases in S.HEADERS[table].items()}
        for fld, spellings in fields.items():
            assert all(S.key(h) in accepted[fld] for h in spellings), (table, fld)
        assert set(fields) == set(S.HEADERS[table])


def test_course_titles_with_suffix():
    titles = pd.Series([t for title in STUDY.courses.values() for t in (title, title.upper())])
    vals, bad = P.parse_category(titles, ALIASES["course"])
    assert not bad.any() and np.all(vals.notna())


def test_name_abbreviations_are_data_and_a_mistake_there_is_named(tmp_path, monkeypatch):
    """Office-name abbreviations come from name_rules.yaml: the shipped rules make the usual spellings of one
    office coincide, and an unknown key in the file is refused with the file's name."""
    from analysis import names
    from analysis.clean.specs import unit_key

    assert unit_key("Kantor Lurah Plaju Ulu") == unit_key("Kel. Plaju Ulu") == "kelurahan plaju ulu"
    assert unit_key("Puskesmas Pembantu Bagus Kuning") == unit_key("Pustu Bagus Kuning")
    assert names.name_key("Desa Talang Putri") == names.name_key("talangputri")
    bad = tmp_path / "name_rules.yaml"
    bad.write_text("area_prefixes: [kel]\nunit_phrases: {}\nunit_words: {}\nunit_ignored_words: []\nunit_typo: 1\n")
    monkeypatch.setattr(names, "__file__", str(tmp_path / "names.py"))
    names.rules.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"(?s)name_rules.yaml.*unit_typo"):
            names.rules()
    finally:
        names.rules.cache_clear()
