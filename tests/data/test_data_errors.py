"""Input cleaning cannot trust: a DataInputError naming file, column and row, and no partial outputs."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis.clean import DataInputError, clean_raw
from analysis.pseudonym import ENV_VAR, MissingKeyError
from analysis.synth import MessyConfig, SynthConfig, generate


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("err") / "raw", SynthConfig(months=4, scale=0.2, skm_sample_scale=0.2, messy=MessyConfig.none()))


@pytest.fixture
def env(base, tmp_path, monkeypatch):
    """Real-looking exports: the synthetic files without the marker (edits would make it stale), and a key."""
    raw = tmp_path / "raw"
    shutil.copytree(base, raw, ignore=shutil.ignore_patterns("SYNTHETIC.json", "_truth"))
    monkeypatch.setenv(ENV_VAR, "a test secret")
    interim = tmp_path / "interim"
    interim.mkdir()
    (interim / "previous.parquet").write_bytes(b"old run")
    return raw, interim


def _ticket_file(raw):
    return sorted((raw / "antrian").glob("*.csv"))[0]


def _expect_error(raw, interim, file_part, column, row):
    with pytest.raises(DataInputError) as exc:
        clean_raw(raw, interim)
    msg = str(exc.value)
    if column == "-":  # about the whole file: no column is named
        assert file_part in msg and "column" not in msg and (f"row {row}" in msg if row else True), msg
    else:
        assert file_part in msg and f"'{column}'" in msg and (f"row {row}" in msg if row else "header" in msg), msg
    assert exc.value.row == row
    # no partial outputs: the interim dir is as it was and no temp dir is left behind
    assert sorted(p.name for p in interim.iterdir()) == ["previous.parquet"]
    assert (interim / "previous.parquet").read_bytes() == b"old run"
    assert [p.name for p in interim.parent.iterdir() if p.name.startswith(".")] == []
    return msg


def test_missing_required_column(env):
    raw, interim = env
    f = _ticket_file(raw)
    df = pd.read_csv(f, dtype=str).drop(columns=["Jam Panggil"])
    df.to_csv(f, index=False)
    _expect_error(raw, interim, f.name, "panggil", 0)


def test_unreadable_encoding(env):
    raw, interim = env
    f = sorted((raw / "skm").glob("skm_*.csv"))[0]
    lines = f.read_bytes().split(b"\n")
    cells = lines[3].split(b",")
    cells[2] = b"\x81\x8d"  # undefined in Windows-1252 and invalid UTF-8
    lines[3] = b",".join(cells)
    f.write_bytes(b"\n".join(lines))
    msg = _expect_error(raw, interim, f.name, "Tanggal Survei", 3)
    assert "encoding" in msg


def test_empty_file(env):
    raw, interim = env
    f = raw / "skm" / "rekap_layanan.csv"
    f.write_bytes(b"")
    assert "empty" in _expect_error(raw, interim, "rekap_layanan.csv", "-", 0)


def test_header_only_file(env):
    raw, interim = env
    f = raw / "skm" / "rekap_layanan.csv"
    f.write_text(f.read_text().split("\n")[0] + "\n")
    assert "no data rows" in _expect_error(raw, interim, "rekap_layanan.csv", "-", 1)


def test_wrong_types_in_required_column(env):
    raw, interim = env
    f = _ticket_file(raw)
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    df["Tanggal"] = df["Jenis Layanan"]  # a shifted column: text where dates belong
    df.to_csv(f, index=False)
    _expect_error(raw, interim, f.name, "issued_at", 1)


def test_wrong_unit_column(env):
    raw, interim = env
    f = raw / "skm" / "rekap_layanan.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    df["Unit Layanan"] = "Kantor Entah Dimana"
    df.to_csv(f, index=False)
    _expect_error(raw, interim, "rekap_layanan.csv", "unit_id", 1)


def test_garbage_nip_column_does_not_echo_values(env):
    raw, interim = env
    f = raw / "simpeg" / "pegawai.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    real = df["NIP"].iloc[0]
    df["NIP"] = df["NIP"].str[:10]
    df.to_csv(f, index=False)
    msg = _expect_error(raw, interim, "pegawai.csv", "asn_id", 1)
    assert real[:10] not in msg


def test_missing_table(env):
    raw, interim = env
    shutil.rmtree(raw / "skdr")
    _expect_error(raw, interim, str(raw), "-", 0)


def test_real_data_without_key_is_an_error(env, monkeypatch, tmp_path):
    raw, interim = env
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingKeyError):
        clean_raw(raw, interim)
    assert sorted(p.name for p in interim.iterdir()) == ["previous.parquet"]
    # with a key, the same files clean and the pseudonyms differ from the demo key's
    rep = clean_raw(raw, interim, key=b"a real secret")
    assert rep.balanced() and not rep.synthetic


@pytest.mark.parametrize("batch_bytes", [None, 1], ids=["same-batch", "one-file-per-batch"])
def test_duplicates_across_files_are_merged_and_counted(env, monkeypatch, batch_bytes):
    raw, interim = env
    if batch_bytes:  # every file its own batch: the DuckDB merge removes the duplicates
        monkeypatch.setattr("analysis.clean.run.BATCH_BYTES", batch_bytes)
    src = _ticket_file(raw)
    copy = src.with_name("antrian_zz_resent.csv")  # a resent export: sorts after the original
    copy.write_bytes(src.read_bytes())
    rep = clean_raw(raw, interim)
    q = rep.quality.set_index("file")
    rel = copy.relative_to(raw).as_posix()
    assert q.loc[rel, "rows_duplicate"] == q.loc[rel, "rows_raw"] > 0 and q.loc[rel, "rows_clean"] == 0
    assert rep.balanced()
    tickets = pd.read_parquet(interim / "tickets.parquet")
    assert len(tickets) == q.loc[q["table"] == "tickets", "rows_clean"].sum()
    assert not tickets["ticket_id"].duplicated().any()
