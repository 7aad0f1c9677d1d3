"""Export profiles as data (issue 11): an export from another system is accepted by adding a
mapping.yaml beside the raw files, with no code change, and gives the same clean tables."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis import schemas
from analysis.clean.errors import DataInputError
from analysis.clean.profile import MAPPING_FILE
from analysis.clean.run import clean_raw

from exports_kit import canonical_tables, clean_reference, read, real_copy, write

KEY = b"a test secret"

#: How another system writes the same exports: (file glob, header renames, {column: {label: new label}}).
OTHER_SYSTEM = [
    ("master/daftar_unit.csv", {"Kelurahan": "Nama Kelurahan"},
     {"Nama Kelurahan": {"Plaju Ulu": "Kel. Plaju Ulu", "Plaju Ilir": "KELURAHAN PLAJU ILIR"}}),
    ("simpeg/pegawai.csv", {"NIP": "NIP Baru"}, {}),
    ("antrian/*.csv", {"Jalur": "Cara Daftar"},
     {"Cara Daftar": {"Datang Langsung": "Loket Langsung", "Online": "Antrian Online"},
      "Jenis Layanan": {"KTP-el": "Perekaman KTP"}}),
    ("skdr/*.csv", {}, {"Penyakit": {"Diare Akut": "Diare Akut (DA)", "ILI": "Influenza (ILI)"}}),
]
MAPPING = """\
# spellings of another system's exports (what `analysis inspect` would suggest)
tables:
  units: {headers: {kel: [nama kelurahan]}}
  asn: {headers: {nip: [nip baru]}}
  tickets: {headers: {jalur: [cara daftar]}}
labels:
  channel: {walk_in: [loket langsung], online: [antrian online]}
  service: {KTP-el: [perekaman ktp]}
  disease: {diare_akut: [diare akut da], ili: [influenza ili]}
"""


def _rewrite(raw):
    for pattern, headers, labels in OTHER_SYSTEM:
        for path in sorted(raw.glob(pattern)):
            df = read(path).rename(columns=headers)
            for col, m in labels.items():
                df[col] = df[col].replace(m)
            write(df, path)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("mapping")
    return root, *clean_reference(root, KEY)


def test_other_system_stops_naming_the_unknown_header_then_label(exports, tmp_path):
    root, base, _ = exports
    raw = real_copy(base, tmp_path / "other")
    _rewrite(raw)
    with pytest.raises(DataInputError) as e:
        clean_raw(raw, tmp_path / "out", key=KEY)
    msg = str(e.value)
    assert "master/daftar_unit.csv" in msg and "required column 'kel' missing" in msg and "Nama Kelurahan" in msg
    assert MAPPING_FILE in msg and not list((tmp_path / "out").glob("*.parquet"))  # nothing partial
    # with the headers mapped, the unknown labels are named, counted, with the closest known label
    (raw / MAPPING_FILE).write_text(MAPPING.split("labels:")[0], encoding="utf-8")
    with pytest.raises(DataInputError) as e:
        clean_raw(raw, tmp_path / "out", key=KEY)
    msg = str(e.value)
    assert "antrian/" in msg and "match no known channel label" in msg and "'Loket Langsung' x" in msg
    assert "closest known: 'walk_in'" in msg and "labels: channel" in msg


def test_a_mapping_file_alone_gives_the_same_clean_tables(exports, tmp_path):
    root, base, want = exports
    raw = real_copy(base, tmp_path / "other")
    _rewrite(raw)
    (raw / MAPPING_FILE).write_text(MAPPING, encoding="utf-8")
    clean_raw(raw, tmp_path / "out", key=KEY)
    got = canonical_tables(tmp_path / "out")
    for table in schemas.CANONICAL:
        pd.testing.assert_frame_equal(got[table], want[table], obj=table)
    quality = pd.read_parquet(tmp_path / "out" / "data_quality.parquet")
    assert MAPPING_FILE not in set(quality["file"])  # the mapping is not an export
    assert (quality["rows_rejected"] == pd.read_parquet(root / "ref_out" / "data_quality.parquet")
            .set_index("file").loc[quality["file"], "rows_rejected"].to_numpy()).all()


@pytest.mark.parametrize("text, named", [
    ("tables: {ticket: {headers: {jalur: [x]}}}", "tables.ticket: unknown table (closest: 'tickets')"),
    ("tables: {tickets: {headers: {channel: [x]}}}", "tables.tickets.headers.channel: unknown field of 'tickets'"),
    ("labels: {chanel: {online: [x]}}", "labels.chanel: unknown vocabulary (closest: 'channel')"),
    ("labels: {service: {KTP: [x]}}", "labels.service.KTP: not a value of 'service' (closest: 'KTP-el')"),
    ("labels: {kelurahan: {Bagus Kuning: [x]}}", "not a value of 'kelurahan' (closest: 'Baguskuning')"),
    ("tables: {tickets: {header: {jalur: [x]}}}", "tables.tickets.header: Extra inputs are not permitted"),
    ("labels: {unit: {DUK1: [x]}}", "labels.unit.DUK1: not a value of 'unit' (closest: 'DUK01')"),
    ("labels: {unit: {DUK01: x}}", "DUK01: Input should be a valid list"),
])
def test_mapping_mistakes_are_named(exports, tmp_path, text, named):
    _, base, _ = exports
    raw = real_copy(base, tmp_path / "raw")
    (raw / MAPPING_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(DataInputError) as e:
        clean_raw(raw, tmp_path / "out", key=KEY)
    assert MAPPING_FILE in str(e.value) and named in str(e.value)


def test_inspect_names_what_is_unknown_and_suggests_the_mapping(exports, tmp_path):
    from click.testing import CliRunner

    from analysis.clean.cli import inspect

    _, base, _ = exports
    raw = real_copy(base, tmp_path / "other")
    _rewrite(raw)
    res = CliRunner().invoke(inspect, [str(raw), "--html", str(tmp_path / "inspect.html")])
    assert res.exit_code == 1, res.output  # a required column is missing
    out = res.output
    assert "master/daftar_unit.csv: units" in out and "missing: kel" in out and "'Nama Kelurahan'" in out
    assert "missing: jalur" in out and "'Cara Daftar'" in out  # a label column is checked once it is mapped
    assert "service labels matching nothing: 'Perekaman KTP' x" in out and "(closest: 'KTP-el')" in out
    assert "disease labels matching nothing: 'Diare Akut (DA)' x" in out
    assert "kel: [nama kelurahan]" in out and "KTP-el: [perekaman ktp]" in out  # the suggested mapping.yaml
    assert "date formats: tanggal: YYYY-MM-DD x" in out
    assert "Perekaman KTP" in (tmp_path / "inspect.html").read_text(encoding="utf-8")
    (raw / MAPPING_FILE).write_text(MAPPING, encoding="utf-8")
    res = CliRunner().invoke(inspect, [str(raw), "--html", str(tmp_path / "inspect.html")])
    assert res.exit_code == 0 and "Nothing to map" in res.output, res.output
