"""Issue 16: nothing silently lost, nothing misread, nothing leaked -- one test per class of real-export trouble.

Every case runs the ``clean`` CLI and checks the shared invariants (exports_kit.assert_invariants):
exit code and named message or success, exact row accounting, no partial output, no identifier.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from exports_kit import KEY, assert_invariants, make_base, read, real_copy, run_clean, write

from analysis.clean import parse as P
from analysis.clean.cli import clean
from analysis.pseudonym import DEMO_KEY


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_base(tmp_path_factory.mktemp("harden"))


@pytest.fixture
def case(base, tmp_path):
    raw_base, people = base
    raw = real_copy(raw_base, tmp_path / "raw")
    out = tmp_path / "interim"
    out.mkdir()
    (out / "previous.parquet").write_bytes(b"old run")

    def run(expect: int, *needles: str, key: str | None = KEY):
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        res = run_clean(raw, out, key)
        assert res.exit_code == expect, res.output
        assert all(n in res.output for n in needles), res.output
        assert_invariants(res, raw, out, people, before)
        return res

    return raw, out, people, run


def _quality(out):
    return pd.read_parquet(out / "data_quality.parquet").set_index("file")


# ---------------------------------------------------------------- 1. every file accounted for
def test_upper_case_names_are_cleaned_and_strays_listed_with_reason(case):
    raw, out, _, run = case
    (raw / "ekinerja" / "skp_2023.csv").rename(raw / "ekinerja" / "SKP_2023.CSV")
    (raw / "Antrian").mkdir()
    src = sorted((raw / "antrian").glob("*.csv"))[0]
    src.rename(raw / "Antrian" / src.name.upper())
    (raw / "catatan.pdf").write_bytes(b"%PDF-1.4")
    (raw / "ekinerja" / "skp_2023.csv.bak").write_text("x")
    (raw / "ekinerja" / "~$skp_2023.xlsx").write_bytes(b"lock")
    res = run(0, "warning: ignored catatan.pdf", "ignored 3")
    q = _quality(out)
    assert q.loc["ekinerja/SKP_2023.CSV", "rows_raw"] > 0 and q.loc["ekinerja/SKP_2023.CSV", "status"] == "cleaned"
    assert q.loc[f"Antrian/{src.name.upper()}", "table"] == "tickets"
    ignored = q[q["status"] == "ignored"]
    assert set(ignored.index) == {"catatan.pdf", "ekinerja/skp_2023.csv.bak", "ekinerja/~$skp_2023.xlsx"}
    assert "not a readable type" in ignored.loc["ekinerja/skp_2023.csv.bak", "note"]
    assert "temporary" in ignored.loc["ekinerja/~$skp_2023.xlsx", "note"] and "skp_2023.csv.bak" in res.output
    # the brief words each note by its kind, read back from the very templates cleaning filled
    from analysis.clean.specs import ignored_kind

    assert {f: ignored_kind(n) for f, n in ignored["note"].items()} == {
        "catatan.pdf": "ignored_unknown_name", "ekinerja/skp_2023.csv.bak": "ignored_unreadable",
        "ekinerja/~$skp_2023.xlsx": "ignored_temporary"}


def test_recognised_table_with_no_readable_file_is_an_error(case):
    raw, _, _, run = case
    f = raw / "skdr" / "skdr_2023.csv"
    f.rename(f.with_suffix(".pdf"))
    run(1, "no raw file for table 'health'", "skdr/skdr_2023.pdf")


def test_legacy_excel_is_read(case):
    """``skp_2024.xls`` (Excel 97-2003, numbers stored as numbers) is cleaned like its CSV."""
    xlwt = pytest.importorskip("xlwt", reason="xlwt writes the .xls fixture (test extra)")
    raw, out, _, run = case
    f = raw / "skm" / "rekap_layanan.csv"
    df = read(f)
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    for j, c in enumerate(df.columns):
        ws.write(0, j, c)
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            ws.write(i, j, float(v) if v.isdigit() else v)  # counts as Excel numbers: 19000.0
    f.unlink()
    wb.save(str(raw / "skm" / "REKAP_LAYANAN.XLS"))
    run(0)
    q = _quality(out)
    assert q.loc["skm/REKAP_LAYANAN.XLS", "rows_clean"] == len(df)
    sv = pd.read_parquet(out / "service_volume.parquet")
    assert sorted(sv["users_served"]) == sorted(df["Jumlah Pengguna Layanan"].astype(int))


def test_nip_stored_as_excel_number_is_rejected_not_misread(case):
    """Excel keeps 15 significant digits: an NIP typed as a number is not that person's NIP any more."""
    raw, out, _, run = case
    f = raw / "diklat" / "riwayat_diklat.csv"
    df = read(f).astype(object)
    df.loc[[0, 1], "NIP"] = [int(df.loc[i, "NIP"].replace(" ", "")) for i in (0, 1)]
    f.unlink()
    df.to_excel(raw / "diklat" / "riwayat_diklat.xlsx", index=False)
    run(0)
    rj = pd.read_parquet(out / "rejects.parquet").set_index(["file", "row_number"])["reason"]
    assert [rj[("diklat/riwayat_diklat.xlsx", i)] for i in (1, 2)] == ["implausible_nip_serial"] * 2


def test_corrupt_legacy_excel_is_refused_by_name(case):
    raw, _, _, run = case
    f = raw / "sekolah" / "asesmen_sekolah.csv"
    f.unlink()
    (raw / "sekolah" / "asesmen_sekolah.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really a workbook")
    run(1, "sekolah/asesmen_sekolah.xls", "cannot read workbook")


# ---------------------------------------------------------------- 2. missing-value spellings
@pytest.mark.parametrize("spelling", ["NULL", "-", "#N/A", "N/A", "nan", " null "])
def test_missing_spellings_are_missing_never_ids(case, spelling):
    raw, out, _, run = case
    f = sorted((raw / "antrian").glob("*.csv"))[0]
    df = read(f)
    df.loc[[0, 1], "No Antrian"] = spelling  # two "NULL" ids on one day would collide as duplicates
    write(df, f)
    adopt = raw / "master" / "jadwal_kpi.csv"
    a = read(adopt)
    a.loc[0, "Bulan Mulai KPI"] = spelling
    write(a, adopt)
    run(0)
    rj = pd.read_parquet(out / "rejects.parquet")
    rel = f.relative_to(raw).as_posix()
    got = rj[rj["file"] == rel].set_index("row_number")
    assert got.loc[[1, 2], "reason"].tolist() == ["missing_value"] * 2
    tickets = pd.read_parquet(out / "tickets.parquet")
    assert not tickets["ticket_id"].str.endswith("-" + spelling.strip()).any()
    adoption = pd.read_parquet(out / "adoption.parquet")
    assert len(adoption) == len(a) and adoption["adoption_month"].isna().sum() >= 1  # "not adopted", not a reject
    assert not (rj["table"] == "adoption").any()


# ---------------------------------------------------------------- 3. numbers as Indonesians write them
def test_integers_by_declared_locale():
    s = pd.Series(["19.000", "1.234.567", "12.0", "12,0", "19000", "1,5", "19.5", "1.000,00", "19 000", "12.00",
                   "", "abc"])
    v, bad = P.parse_int(s, "id")
    assert v[[0, 1, 2, 3, 4, 7, 8, 9]].tolist() == [19000, 1234567, 12, 12, 19000, 1000, 19000, 12]
    assert bad.tolist() == [False] * 5 + [True, True] + [False] * 4 + [True]
    v, bad = P.parse_int(pd.Series(["19,000", "12.0", "1.5", "1,000.00"]), "en")
    assert v[[0, 1, 3]].tolist() == [19000, 12, 1000] and bad.tolist() == [False, False, True, False]
    f, bad = P.parse_float(pd.Series(["72,35", "1.234,5", "1,234.5", "1.234.567", "3.456"]))
    assert f.tolist() == [72.35, 1234.5, 1234.5, 1234567.0, 3.456] and not bad.any()


def test_thousands_dot_read_as_thousands_end_to_end(case):
    raw, out, _, run = case
    f = raw / "skm" / "rekap_layanan.csv"
    df = read(f)
    df.loc[0, "Jumlah Pengguna Layanan"] = "19.000"
    df.loc[1, "Jumlah Pengguna Layanan"] = f"{df.loc[1, 'Jumlah Pengguna Layanan']}.0"
    write(df, f)
    run(0)
    sv = pd.read_parquet(out / "service_volume.parquet")
    assert 19000 in set(sv["users_served"]) and 19 not in set(sv["users_served"])


def test_count_far_outside_unit_history_is_flagged(case):
    raw, out, _, run = case
    f = raw / "skdr" / "skdr_2023.csv"
    df = read(f)
    df.loc[0, "Jumlah Penduduk"] = str(int(df.loc[0, "Jumlah Penduduk"]) * 100)
    write(df, f)
    res = run(0, "skdr/skdr_2023.csv: column 'population', row 1")
    q = _quality(out)
    assert q.loc["skdr/skdr_2023.csv", "rows_flagged"] == 1 and "population row 1" in q.loc["skdr/skdr_2023.csv", "note"]
    assert "far outside" in res.output


# ---------------------------------------------------------------- 4. encodings and crashes
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_read(case, encoding):
    raw, out, _, run = case
    f = raw / "skm" / "rekap_layanan.csv"
    df = read(f)
    bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    f.write_bytes(bom + df.to_csv(index=False, sep="\t").encode(encoding))  # Excel's "Unicode text"
    run(0)
    assert _quality(out).loc["skm/rekap_layanan.csv", "rows_clean"] == len(df)


def test_utf8_bom_with_cp1252_rows_is_read(case):
    raw, out, _, run = case
    f = raw / "skm" / "rekap_layanan.csv"
    lines = f.read_bytes().split(b"\n")
    # row 1 carries a UTF-8 no-break space, rows 3-4 a Windows-1252 one (pasted from another export)
    lines[1] = lines[1].replace(b",", "\u00a0,".encode("utf-8"), 1)
    for i in (3, 4):
        lines[i] = lines[i].replace(b",", "\u00a0,".encode("cp1252"), 1)
    f.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    run(0)
    assert _quality(out).loc["skm/rekap_layanan.csv", "rows_clean"] == len([x for x in lines[1:] if x.strip()])


@pytest.mark.parametrize("kind, needles", [
    ("undefined_byte", ("skm/rekap_layanan.csv", "UTF-8 and Windows-1252")),
    ("utf16_without_bom", ("skm/rekap_layanan.csv", "NUL bytes")),
    ("ragged_row", ("skm/rekap_layanan.csv", "row 3")),
    ("binary", ("skm/rekap_layanan.csv",)),
    ("headerless", ("simpeg/pegawai.csv", "not shown")),
    ("names_in_unit_column", ("skm/rekap_layanan.csv", "unit_id", "not shown")),
    ("empty", ("skm/rekap_layanan.csv", "empty")),
    ("nip_column_as_excel_numbers", ("simpeg/pegawai.xlsx", "stored as Excel numbers")),
])
def test_bad_file_gives_exit_code_and_named_message(case, kind, needles):
    raw, _, people, run = case
    f = raw / ("simpeg/pegawai.csv" if kind in ("headerless", "nip_column_as_excel_numbers") else
               "skm/rekap_layanan.csv")
    text = f.read_text(encoding="utf-8")
    if kind == "undefined_byte":
        f.write_bytes(text.encode().replace(b"\n", b"\x81\n", 3))
    elif kind == "utf16_without_bom":
        f.write_bytes(text.encode("utf-16-le"))
    elif kind == "ragged_row":
        lines = text.split("\n")
        lines[3] += ",extra,cells"
        f.write_text("\n".join(lines))
    elif kind == "binary":
        f.write_bytes(bytes(range(1, 256)) * 20)
    elif kind == "headerless":
        f.write_text(text.split("\n", 1)[1])
    elif kind == "names_in_unit_column":
        df = read(f)
        df["Unit Layanan"] = people["Nama"].iloc[: len(df)].tolist() + [people["Nama"].iloc[0]] * (len(df) - len(people))
        write(df, f)
    elif kind == "empty":
        f.write_bytes(b"")
    elif kind == "nip_column_as_excel_numbers":
        df = read(f).astype(object)
        df["NIP"] = [int(x.replace(" ", "")) for x in df["NIP"]]
        f.unlink()
        df.to_excel(f.with_suffix(".xlsx"), index=False)
    res = run(1, *needles)
    assert "Traceback" not in res.output


def test_unexpected_exception_is_not_a_traceback(case, monkeypatch):
    raw, out, _, run = case

    def boom(*a, **k):
        raise KeyError("19850312 201001 1 003")

    monkeypatch.setattr("analysis.clean.run.clean_raw", boom)
    res = run(1, "cleaning failed unexpectedly (KeyError")
    assert "201001" not in res.output


def test_missing_raw_dir_and_missing_key_exit_2(case, tmp_path):
    raw, out, _, run = case
    run(2, "No pseudonym key", key=None)
    from click.testing import CliRunner
    res = CliRunner().invoke(clean, ["--raw", str(tmp_path / "nope"), "--out", str(out)])
    assert res.exit_code == 2 and "raw directory does not exist" in res.output


# ---------------------------------------------------------------- 5. pseudonym key chosen by what the data are
def test_stale_marker_beside_real_files_is_an_error(base, tmp_path):
    raw_base, people = base
    import shutil
    raw = tmp_path / "raw"
    shutil.copytree(raw_base, raw)
    out = tmp_path / "interim"
    res = run_clean(raw, out, KEY)
    assert res.exit_code == 0 and pd.read_parquet(out / "asn.parquet")["asn_id"].iloc[0].startswith("asn_")
    want_demo = "asn_" + hmac.new(DEMO_KEY, people["NIP"].str.replace(r"\D", "", regex=True).iloc[0].encode(),
                                  hashlib.sha256).hexdigest()[:16]
    assert want_demo in set(pd.read_parquet(out / "asn.parquet")["asn_id"])  # valid marker: demo key
    (raw / "simpeg" / "pegawai_baru.csv").write_text((raw / "simpeg" / "pegawai.csv").read_text())
    res = run_clean(raw, tmp_path / "interim2", KEY)
    assert res.exit_code == 1 and "stale synthetic marker" in res.output and "simpeg/pegawai_baru.csv" in res.output
    assert not (tmp_path / "interim2").exists() or not list((tmp_path / "interim2").iterdir())


def test_real_data_use_the_users_key(case):
    raw, out, people, run = case
    run(0)
    ids = set(pd.read_parquet(out / "asn.parquet")["asn_id"])
    nip = people["NIP"].str.replace(r"\D", "", regex=True).iloc[0]
    assert "asn_" + hmac.new(KEY.encode(), nip.encode(), hashlib.sha256).hexdigest()[:16] in ids


# ---------------------------------------------------------------- 6. plausibility bounds
def test_each_bound_rejects_with_its_own_reason(case):
    raw, out, _, run = case
    t = sorted((raw / "antrian").glob("*.csv"))[0]
    df = read(t)
    df.loc[0, "Tanggal"] = "2029-03-12"
    df.loc[1, ["Jam Ambil", "Jam Panggil", "Jam Mulai Layanan", "Jam Selesai"]] = [
        "06:00:00", "20:00:00", "20:05:00", "20:10:00"]
    df.loc[2, "Jam Selesai"] = "23:59:00"
    write(df, t)
    s = raw / "skm" / "skm_KEL01.csv"
    sk = read(s)
    sk.loc[0, "Umur"], sk.loc[1, "U3"] = "150", "7"
    write(sk, s)
    r = raw / "ekinerja" / "skp_2023.csv"
    skp = read(r)
    skp.loc[0, "NIP"] = skp.loc[0, "NIP"].replace(" ", "")[:15] + "000"  # Excel's 15-digit precision
    skp.loc[1, "NIP"] = skp.loc[1, "NIP"].replace(" ", "")[:14] + "3" + skp.loc[1, "NIP"].replace(" ", "")[15:]
    skp.loc[2, "NIP"] = "2099" + skp.loc[2, "NIP"].replace(" ", "")[4:]
    write(skp, r)
    run(0)
    rj = pd.read_parquet(out / "rejects.parquet").set_index(["file", "row_number"])["reason"]
    rel = t.relative_to(raw).as_posix()
    assert rj[(rel, 1)] == "implausible_date"
    assert rj[(rel, 2)] == "implausible_wait"
    assert rj[(rel, 3)] == "implausible_service_time"
    assert rj[("skm/skm_KEL01.csv", 1)] == "implausible_age" and rj[("skm/skm_KEL01.csv", 2)] == "likert_out_of_range"
    assert [rj[("ekinerja/skp_2023.csv", i)] for i in (1, 2, 3)] == [
        "implausible_nip_serial", "implausible_nip_sex", "implausible_nip_birth"]
    tickets = pd.read_parquet(out / "tickets.parquet")
    assert tickets["issued_at"].max() < pd.Timestamp("2026-06-01")
