"""Property-based corruption suite (issue 16): random corruptions of real-looking exports, one invariant set.

Each example copies small exports, applies 1-3 corruptions drawn from every class the issue names
(file naming, legacy/unknown files, encodings, Indonesian numbers, missing-value spellings, implausible
dates/times/NIPs/ages/Likert, resent and truncated files, headerless exports, swapped columns), runs
the ``clean`` CLI and asserts (exports_kit.assert_invariants): exit code 0, or 1/2 with a message
naming the file; exact row accounting against an independent csv count; no partial output; no NIP
or name in any message or output. 40 examples: ~40 s of CPU (2 min wall on the loaded 2-core machine).
"""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("xlwt", reason="xlwt writes the legacy .xls corruption (test extra)")
from exports_kit import assert_invariants, make_base, read, real_copy, run_clean, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return make_base(tmp_path_factory.mktemp("suite"))


def _csv(raw, pattern):
    return sorted(raw.glob(pattern))


def _cell(raw, pattern, column, value, row):
    f = _csv(raw, pattern)[0]
    df = read(f)
    df.loc[row % len(df), column] = value
    write(df, f)


def apply(kind: str, raw, people, row: int) -> None:
    if kind == "upper_case_name":
        f = _csv(raw, "ekinerja/*.csv")[0]
        f.rename(f.with_name(f.name.upper()))
    elif kind == "stray_file":
        (raw / "skm" / "notes.docx").write_bytes(b"PK")
    elif kind == "resent_twice":
        f = _csv(raw, "antrian/*.csv")[0]
        shutil.copy(f, f.with_name(f.stem + "_kirim_ulang.csv"))
    elif kind == "truncated":
        f = _csv(raw, "skm/skm_*.csv")[0]
        b = f.read_bytes()
        f.write_bytes(b[: len(b) * 2 // 3])
    elif kind == "utf16":
        f = raw / "skm" / "rekap_layanan.csv"
        f.write_bytes(b"\xff\xfe" + read(f).to_csv(index=False, sep="\t").encode("utf-16-le"))
    elif kind == "cp1252_rows":
        f = raw / "skm" / "rekap_layanan.csv"
        lines = f.read_bytes().split(b"\n")
        lines[1 + row % (len(lines) - 2)] = lines[1 + row % (len(lines) - 2)].replace(b",", b"\xa0,", 1)
        f.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    elif kind == "thousands_dot":
        _cell(raw, "skm/rekap_layanan.csv", "Jumlah Pengguna Layanan", "19.000", row)
    elif kind == "excel_decimal":
        _cell(raw, "skdr/*.csv", "Jumlah Kasus", "3.0", row)
    elif kind in ("null", "dash", "na"):
        v = {"null": "NULL", "dash": "-", "na": "#N/A"}[kind]
        _cell(raw, "antrian/*.csv", "No Antrian", v, row)
        _cell(raw, "master/jadwal_kpi.csv", "Bulan Mulai KPI", v, row)
    elif kind == "future_date":
        _cell(raw, "antrian/*.csv", "Tanggal", "2029-01-15", row)
    elif kind == "long_wait":
        f = _csv(raw, "antrian/*.csv")[0]
        df = read(f)
        df.loc[row % len(df), ["Jam Ambil", "Jam Panggil", "Jam Mulai Layanan", "Jam Selesai"]] = [
            "00:01:00", "23:50:00", "23:51:00", "23:55:00"]
        write(df, f)
    elif kind == "nip_000":
        f = raw / "ekinerja" / "skp_2023.csv"
        if f.exists():
            df = read(f)
            i = row % len(df)
            df.loc[i, "NIP"] = df.loc[i, "NIP"].replace(" ", "")[:15] + "000"
            write(df, f)
    elif kind == "age":
        _cell(raw, "skm/skm_*.csv", "Umur", "230", row)
    elif kind == "likert":
        _cell(raw, "skm/skm_*.csv", "U4", "9", row)
    elif kind == "headerless":
        f = raw / "simpeg" / "pegawai.csv"
        f.write_text(f.read_text().split("\n", 1)[1])
    elif kind == "names_in_unit_column":
        f = raw / "skm" / "rekap_layanan.csv"
        df = read(f)
        df["Unit Layanan"] = [people["Nama"].iloc[i % len(people)] for i in range(len(df))]
        write(df, f)
    elif kind == "stale_marker":
        (raw / "SYNTHETIC.json").write_text('{"synthetic": true, "files": {}}')
    elif kind == "legacy_xls":
        import xlwt

        f = raw / "skm" / "rekap_layanan.csv"
        if f.exists():
            df = read(f)
            wb = xlwt.Workbook()
            ws = wb.add_sheet("Sheet1")
            for i, r in enumerate([list(df.columns), *df.itertuples(index=False)]):
                for j, v in enumerate(r):
                    ws.write(i, j, float(v) if i and str(v).isdigit() else v)
            f.unlink()
            wb.save(str(f.with_suffix(".xls")))
    elif kind == "ragged":
        f = raw / "skm" / "rekap_layanan.csv"
        lines = f.read_text().split("\n")
        lines[1 + row % (len(lines) - 2)] += ",x"
        f.write_text("\n".join(lines))


KINDS = ["upper_case_name", "stray_file", "resent_twice", "truncated", "utf16", "cp1252_rows", "thousands_dot",
         "excel_decimal", "null", "dash", "na", "future_date", "long_wait", "nip_000", "age", "likert", "headerless",
         "names_in_unit_column", "stale_marker", "ragged", "legacy_xls"]


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000)), min_size=1, max_size=3))
def test_corrupted_exports_keep_the_invariants(base, tmp_path_factory, ops):
    raw_base, people = base
    folder = tmp_path_factory.mktemp("c")
    raw = real_copy(raw_base, folder / "raw")
    for kind, row in ops:
        try:
            apply(kind, raw, people, row)
        except (FileNotFoundError, IndexError, UnicodeDecodeError):  # an earlier corruption removed or re-encoded it
            pass
    out = folder / "interim"
    res = run_clean(raw, out)
    assert_invariants(res, raw, out, people, {})
    shutil.rmtree(folder)
