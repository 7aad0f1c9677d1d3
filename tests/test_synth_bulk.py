"""The bulk generator (analysis.synth.bulk): partitioned .csv.gz exports that today's cleaner reads, with every
raw row accounted for, and bytes that do not depend on the number of worker processes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import study as St
from analysis.synth import SynthConfig, generate

WILAYAH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wilayah"
CODES, POPULATION = WILAYAH / "kode_wilayah.csv", WILAYAH / "penduduk.csv"
pytestmark = pytest.mark.skipif(not (CODES.is_file() and POPULATION.is_file()),
                                reason=f"Kemendagri code list / population not found under {WILAYAH} "
                                       "(../shared/data/wilayah; not shipped with the repository)")
#: file names of the bulk-export contract: <system>/<stem>_<kab/kota code>[_<period>].csv.gz
CONTRACT = re.compile(r"^(antrian/antrian_\d\d\.\d\d_\d{4}-\d\d|ekinerja/skp_\d\d\.\d\d_\d{4}|simpeg/pegawai_\d\d\.\d\d"
                      r"|diklat/riwayat_diklat_\d\d\.\d\d|skm/skm_\d\d\.\d\d_\d{4}|skm/rekap_layanan_\d\d\.\d\d"
                      r"|skdr/skdr_\d\d\.\d\d_\d{4}|sekolah/asesmen_sekolah_\d\d\.\d\d)\.csv\.gz$")


def _study(tmp_path: Path, kabkota: tuple[str, ...]) -> Path:
    """A province-style study (code-based unit ids, population-scaled sizes) holding only ``kabkota``."""
    from analysis import study_large as L
    from analysis.study_create import _read_codes, write

    doc, rows = L.build_large(_read_codes(CODES), L.read_population(POPULATION), "16", St.load())
    inside = tuple(k + "." for k in kabkota)
    rows = [r for r in rows if r["kelurahan_code"].startswith(inside)]
    doc["areas"] = [a for a in doc["areas"] if a["code"].startswith(inside)]
    doc["kecamatan"] = [a for a in doc["kecamatan"] if a["code"].startswith(inside)]
    doc["kabkota"] = [a for a in doc["kabkota"] if a["code"] in kabkota]
    doc["opds"] = [o for o in doc["opds"] if not o.startswith("Kecamatan ")] + sorted({r["opd"] for r in rows if r["unit_type"] == "kecamatan"})
    return write(doc, rows, tmp_path / "study")


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    """One kab/kota (Kota Pagar Alam, 16.72: 60 units, ~2,300 ASN) over 12 months, forced into bulk mode."""
    tmp = tmp_path_factory.mktemp("bulk")
    study = _study(tmp, ("16.72",))
    raw = tmp / "raw"
    generate(raw, SynthConfig(study=str(study), months=12), bulk_above_units=0, workers=1)
    return study, raw


def test_bulk_files_follow_the_contract(small_world):
    _, raw = small_world
    files = sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file())
    data = [f for f in files if not f.startswith(("_truth/", "master/")) and f != "SYNTHETIC.json"]
    assert data and all(CONTRACT.match(f) for f in data), [f for f in data if not CONTRACT.match(f)]
    assert {"master/daftar_unit.csv", "master/jadwal_kpi.csv"} <= set(files)
    assert sum(f.startswith("antrian/antrian_16.72_2023-") for f in data) == 12  # one file per month
    marker = json.loads((raw / "SYNTHETIC.json").read_text(encoding="utf-8"))
    assert marker["bulk"]["bulk"] and set(marker["files"]) == set(files) - {"SYNTHETIC.json"}


def test_todays_cleaner_reads_a_bulk_world_and_accounts_for_every_row(small_world, tmp_path):
    from analysis.clean.run import clean_raw

    study, raw = small_world
    rep = clean_raw(raw, tmp_path / "interim", study=str(study))
    assert rep.synthetic and rep.balanced() and not rep.ignored
    q = rep.quality[rep.quality["status"] == "cleaned"].set_index("file")
    log = pd.read_parquet(raw / "_truth" / "raw_rows.parquet")
    # every file's duplicates are the generator's resubmitted copies, its rejects its corrupt and test rows,
    # row by row and with the reason the generator logged
    kinds = log.groupby(["file", "kind"]).size().unstack(fill_value=0).reindex(q.index, fill_value=0)
    assert (q["rows_duplicate"] == kinds.get("dup", 0)).all()
    bad = log[log["kind"].isin(["corrupt", "test"])][["file", "row_number", "reason"]]
    got = rep.rejects[["file", "row_number", "reason"]].astype({"row_number": "int64"})
    pd.testing.assert_frame_equal(bad.sort_values(["file", "row_number"]).reset_index(drop=True),
                                  got.sort_values(["file", "row_number"]).reset_index(drop=True), check_dtype=False)
    assert set(bad["reason"]) >= {"invalid_nip", "missing_timestamp", "timestamp_order", "test_ticket",
                                  "likert_out_of_range"}
    # the clean tables have today's schemas (clean_raw validates them) and today's row counts
    tickets = pd.read_parquet(tmp_path / "interim" / "tickets.parquet")
    assert len(tickets) == int(q.loc[q["table"] == "tickets", "rows_clean"].sum()) > 1000


def test_truth_is_zero_before_adoption_and_positive_after(small_world):
    _, raw = small_world
    cells = pd.read_parquet(raw / "_truth" / "att_gt.parquet")
    pre = cells[cells["period"] < cells["group"]]
    assert len(pre) and (pre["att"].abs() < 1e-12).all()  # no anticipation: no effect before adoption
    post = cells[(cells["period"] >= cells["group"] + 2)]
    good = post[post["outcome"] == "skp_good_share"]["att"]
    wait = post[post["outcome"] == "wait_minutes"]["att"]
    assert len(good) and good.mean() > 0 and wait.mean() < 0  # KPI management: better ratings, shorter waits
    cohorts = pd.read_parquet(raw / "_truth" / "cohorts.parquet")
    assert set(cells["group"]) <= set(cohorts["first_treat"]) - {0}


def test_bulk_bytes_do_not_depend_on_worker_count(tmp_path):
    study = _study(tmp_path, ("16.72", "16.74"))
    marks = []
    for workers, out in ((1, tmp_path / "one"), (2, tmp_path / "two")):
        generate(out, SynthConfig(study=str(study), months=4, scale=0.3), bulk_above_units=0, workers=workers)
        m = json.loads((out / "SYNTHETIC.json").read_text(encoding="utf-8"))
        marks.append((m["files"], m["bulk"]["partitions"]))
    assert marks[0][1] == 2 and marks[0][0] == marks[1][0]  # same file names, same SHA-256 of every file


def test_a_desa_name_two_kab_kota_share_is_resolved_through_the_unit_catalogue(tmp_path):
    """Kota Pagar Alam (16.72) and Kota Lubuk Linggau (16.73) each have a desa of the same name: the master
    list's name alone is ambiguous, the unit's catalogue entry says which one is meant; nothing is rejected
    for it and no unit is lost."""
    from analysis.clean.run import clean_raw
    from analysis.names import name_key

    study = _study(tmp_path, ("16.72", "16.73"))
    st = St.load(str(study))
    names = pd.Series([a.name for a in st.areas])
    shared = names[names.map(name_key).duplicated(keep=False)]
    assert not shared.empty  # the premise: a repeated name inside this study
    raw = tmp_path / "raw"
    generate(raw, SynthConfig(study=str(study), months=4, scale=0.3), bulk_above_units=0, workers=1)
    rep = clean_raw(raw, tmp_path / "interim", study=str(study))
    units = pd.read_parquet(rep.outputs["units"])
    assert sorted(units["unit_id"]) == sorted(st.units["unit_id"])
    assert rep.rejects[rep.rejects["table"] == "units"].empty
    assert units["kelurahan"].isin(shared).any()


def test_units_in_two_desa_of_one_name_are_grouped_in_their_own_kab_kota(tmp_path):
    """Grouping goes through each unit's kelurahan code in the catalogue, not the shared name."""
    from analysis.names import name_key

    st = St.load(str(_study(tmp_path, ("16.72", "16.73"))))
    codes = {a.code: a.name for a in st.areas}
    units = st.units.assign(name=lambda d: d["kelurahan_code"].map(codes))
    shared = units[units["name"].map(name_key).duplicated(keep=False)]
    got = st.areas_of(shared["unit_id"], shared["name"])
    want = [st.kabkota_of(c) for c in shared["kelurahan_code"]]
    assert got == want and len(set(want)) == 2
