"""Province and national studies from the Kemendagri code list with population-scaled unit sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import study as St

WILAYAH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wilayah"
CODES, POPULATION = WILAYAH / "kode_wilayah.csv", WILAYAH / "penduduk.csv"
needs_wilayah = pytest.mark.skipif(not (CODES.is_file() and POPULATION.is_file()),
                                   reason=f"Kemendagri code list / population not found under {WILAYAH} "
                                          "(../shared/data/wilayah; not shipped with the repository)")


def _create(tmp_path, area: str, *extra: str):
    from click.testing import CliRunner

    from analysis.study_create import study as study_cli

    out = tmp_path / area.replace(".", "_")
    res = CliRunner().invoke(study_cli, ["create", "--catalogue", str(CODES), "--area", area, "--out", str(out), *extra])
    return res, out


@needs_wilayah
def test_province_study_has_every_kabkota_kecamatan_and_desa(tmp_path):
    res, out = _create(tmp_path, "16", "--population", str(POPULATION))
    assert res.exit_code == 0, res.output
    s = St.load(out)
    # ../shared/data/wilayah: Sumatera Selatan (16) has 17 kab/kota, 241 kecamatan, 3,259 desa/kelurahan
    assert (s.area.level, s.grouping) == ("provinsi", "kabkota")
    assert (len(s.kabkota), len(s.kecamatan), len(s.areas)) == (17, 241, 3259)
    u = s.units
    assert u["unit_id"].is_unique and len(u) == 241 * 5 + 3259
    assert (u["unit_type"] == "kelurahan").sum() == 3259
    # every unit's kab/kota is the prefix of its kelurahan code, and group_of names it
    assert {s.group_of(k) for k in u["kelurahan"].iloc[:50]} <= {k.name for k in s.kabkota}
    assert s.kabkota_of("16.71.14.1001") == "Kota Palembang"
    # a kab/kota brief summarises its units by kecamatan: every unit has one, named by its kelurahan code
    by_kecamatan = s.units_at("kecamatan")
    assert set(by_kecamatan.values()) == {k.name for k in s.kecamatan if k.code in {c[:8] for c in u["kelurahan_code"]}}
    ids = list(u["unit_id"].astype(str))
    assert s.areas_of(ids, list(u["kelurahan"]), "kecamatan") == [by_kecamatan[i] for i in ids]
    assert s.areas_of(ids, list(u["kelurahan"])) == [s.unit_area[i] for i in ids]


@needs_wilayah
def test_sizes_follow_kabkota_population(tmp_path):
    """The rule of study_sizes.yaml: each kab/kota's staff is its population share of the national total."""
    import csv

    import yaml

    from analysis import study_large as L

    res, out = _create(tmp_path, "16", "--population", str(POPULATION))
    assert res.exit_code == 0, res.output
    u = St.load(out).units
    pop = L.read_population(POPULATION)
    national = sum(pop.values())
    rule = yaml.safe_load(L.SIZES.read_text(encoding="utf-8"))["national"]
    staff = u.groupby(u["kelurahan_code"].str[:5])["staff"].sum()
    for kab, n in staff.items():
        expected = rule["staff"] * pop[kab] / national
        assert abs(n - expected) <= 0.02 * expected + len(u), (kab, n, expected)  # rounding per unit
    # the province's population (penduduk.csv row '16') is what its kab/kota add up to
    with POPULATION.open(encoding="utf-8") as f:
        province = next(int(r["total"]) for r in csv.DictReader(f) if r["kode"] == "16")
    assert sum(pop[k] for k in staff.index) == province
    tickets = u.groupby(u["kelurahan_code"].str[:5])["daily_tickets"].sum()
    assert tickets["16.71"] > tickets["16.72"]  # Kota Palembang (1.7M) serves more than Kota Pagar Alam


@needs_wilayah
def test_province_needs_population_and_a_known_code(tmp_path):
    res, _ = _create(tmp_path, "16")
    assert res.exit_code != 0 and "--population" in res.output
    res, _ = _create(tmp_path, "99", "--population", str(POPULATION))
    assert res.exit_code != 0 and "'99'" in res.output


@needs_wilayah
@pytest.mark.slow
def test_national_study_totals_about_4_3_million_asn(tmp_path):
    from analysis import study_large as L
    from analysis.study_create import _read_codes

    doc, rows = L.build_large(_read_codes(CODES), L.read_population(POPULATION), "ID", St.load())
    # README of ../shared/data/wilayah: 514 kab/kota, 7,285 kecamatan, 83,762 desa/kelurahan
    assert (len(doc["kabkota"]), len(doc["areas"])) == (514, 83762)
    staff = sum(r["staff"] for r in rows)
    assert 4.2e6 < staff < 4.4e6  # study_sizes.yaml: 4.3 million ASN (BKN 2024)
    # at scale 1 the generator writes 10% of daily tickets on ~783 working days (2023-2025): >= 100M tickets
    assert sum(r["daily_tickets"] for r in rows) * 0.1 * 783 >= 100e6
    from analysis.clean.specs import unit_key
    assert len({unit_key(r["unit_name"]) for r in rows}) == len(rows)  # cleaning can tell every unit apart
