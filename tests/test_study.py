"""Study area as data: the study file and unit catalogue are validated, names are matched tolerantly,
and no Python file under src/ names a place (Done when of issue 11)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from analysis import study as St
from analysis.names import NameMatchError, match

ROOT = Path(__file__).resolve().parents[1]
WILAYAH = ROOT.parent / "shared" / "data" / "wilayah" / "kode_wilayah.csv"


def _place_names() -> set[str]:
    names: set[str] = set()
    for folder in (ROOT / "studies").iterdir():
        if (folder / "study.yaml").is_file():
            s = St.load(folder)
            names |= {a.name for a in (*s.areas, *s.kecamatan)} | {s.area.name, s.city}
            names |= set(s.units["unit_name"])
    if WILAYAH.is_file():  # every kecamatan and kelurahan of Kota Palembang (16.71), official spelling
        with WILAYAH.open(encoding="utf-8") as f:
            names |= {r["nama"] for r in csv.DictReader(f) if r["kode"].startswith("16.71.")}
    names |= {"Bagus Kuning", "Talang Bubuk", "Talang Putri"}  # the project's former spellings
    return names - {""}  # a province or national study has no city name


#: (file, line) allowed to hold a place name, with the reason.
ALLOWED = {
    # the public demo key of synthetic data: changing its bytes would change every pseudonym of every run
    ("pseudonym.py", 'DEMO_KEY = b"plaju-synthetic-demo-key-not-secret"'),
}


def test_no_place_name_in_python_source():
    names = _place_names()
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b", re.I)
    hits = [f"{p.relative_to(ROOT)}:{i}: {m.group()}" for p in sorted((ROOT / "src").rglob("*.py"))
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) for m in pattern.finditer(line)
            if (p.name, line.strip()) not in ALLOWED]
    assert not hits, "place names belong in studies/<name>/, not in Python:\n" + "\n".join(hits[:20])


def test_default_study_has_official_codes_and_names():
    s = St.load()
    assert s.area.code == "16.71.14" and s.grouping == "kelurahan"
    # Kepmendagri 300.2.2-2138/2025 via ../shared/data/wilayah/README.md: 16.71.14.1001-1007
    assert sorted(a.code for a in s.areas) == [f"16.71.14.100{i}" for i in range(1, 8)]
    assert {"Baguskuning", "Talangputri", "Talangbubuk"} <= set(s.kelurahan)
    assert len(s.units) == 34 and set(s.units["kelurahan"]) <= set(s.kelurahan)
    if WILAYAH.is_file():
        with WILAYAH.open(encoding="utf-8") as f:
            official = {r["kode"]: r["nama"] for r in csv.DictReader(f)}
        assert {a.code: a.name for a in s.areas} == {k: v for k, v in official.items() if k.startswith("16.71.14.")}


@pytest.mark.parametrize("spelling, official", [
    ("Bagus Kuning", "Baguskuning"), ("Kel. Talang Putri", "Talangputri"), ("  TALANG  BUBUK ", "Talangbubuk"),
    ("Kelurahan Plaju Ulu", "Plaju Ulu"), ("plaju-ilir", "Plaju Ilir")])
def test_names_match_tolerantly(spelling, official):
    assert match(spelling, St.load().kelurahan) == official


def test_unknown_and_ambiguous_names_are_rejected_with_reason():
    with pytest.raises(NameMatchError, match="matches no official name.*closest official name: 'Plaju Darat'"):
        match("Plaju Dara", St.load().kelurahan)
    with pytest.raises(NameMatchError, match="ambiguous"):
        match("Kec. Sukajadi", ["Sukajadi", "Suka Jadi"])


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "s"
    shutil.copytree(ROOT / "studies" / "plaju", dst)
    return dst


@pytest.mark.parametrize("old, new, named", [
    ("grouping: kelurahan", "grouping: rt", "grouping: Input should be 'kelurahan', 'kecamatan' or 'kabkota'"),
    ('code: "16.71.14.1005"', 'code: "16.71.15.1005"', "not inside the study area 16.71.14: ['16.71.15.1005']"),
    ("window: {start: 2023-01-01", "window: {start: 2026-01-01", "window end 2025-12-31 is not after start"),
    ("diseases: [", "disease: [", "disease: Extra inputs are not permitted")])
def test_study_file_mistakes_are_named(tmp_path, old, new, named):
    d = _copy(tmp_path)
    text = (d / "study.yaml").read_text(encoding="utf-8")
    assert old in text
    (d / "study.yaml").write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(St.StudyError) as e:
        St.load(d)
    assert "study.yaml" in str(e.value) and named in str(e.value)


def test_catalogue_mistakes_name_row_and_column(tmp_path):
    d = _copy(tmp_path)
    rows = (d / "units.csv").read_text(encoding="utf-8").splitlines()
    rows[3] = rows[3].replace("16.71.14.1005", "16.71.14.1099")
    rows[4] = rows[4].replace(",kecamatan,", ",kantor,")
    (d / "units.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(St.StudyError) as e:
        St.load(d)
    msg = str(e.value)
    assert "units.csv" in msg and "row 4, kelurahan_code: '16.71.14.1099'" in msg and "row 5, unit_type" in msg


def test_unknown_study_lists_known_ones():
    with pytest.raises(St.StudyError, match="known studies: .*plaju"):
        St.load("atlantis")


needs_wilayah = pytest.mark.skipif(not WILAYAH.is_file(), reason=f"Kemendagri code list not found at {WILAYAH} "
                                   "(../shared/data/wilayah; it is not shipped with the repository)")


@needs_wilayah
def test_study_create_writes_a_valid_city_study(tmp_path):
    from click.testing import CliRunner

    from analysis.study_create import study as study_cli

    out = tmp_path / "palembang"
    res = CliRunner().invoke(study_cli, ["create", "--catalogue", str(WILAYAH), "--area", "16.71", "--out", str(out)])
    assert res.exit_code == 0, res.output
    s = St.load(out)
    # ../shared/data/wilayah/README.md: Kota Palembang 16.71 has 18 kecamatan and 107 kelurahan
    assert s.area.name == "Kota Palembang" and s.grouping == "kecamatan"
    assert len(s.kecamatan) == 18 and len(s.areas) == 107
    units = s.units
    kec = units["kelurahan_code"].str.rsplit(".", n=1).str[0]
    assert kec.nunique() == 18 and units["unit_id"].is_unique  # units spread over every kecamatan
    assert {s.group_of(k) for k in units["kelurahan"]} == {k.name for k in s.kecamatan}


@needs_wilayah
def test_study_create_for_a_kecamatan_matches_the_default_study(tmp_path):
    from click.testing import CliRunner

    from analysis.study_create import study as study_cli

    out = tmp_path / "kec"
    res = CliRunner().invoke(study_cli, ["create", "--catalogue", str(WILAYAH), "--area", "16.71.14", "--out", str(out)])
    assert res.exit_code == 0, res.output
    made, default = St.load(out), St.load()
    assert made.areas == default.areas and made.names == default.names and made.opds == default.opds
    assert made.area == default.area and made.window == default.window and made.courses == default.courses
