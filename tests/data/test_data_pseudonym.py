"""Keyed pseudonyms and key resolution."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from analysis import pseudonym as ps


def test_pseudonym_is_keyed_hmac_truncated_and_prefixed():
    nip = "198503122010011003"
    p = ps.pseudonymise(nip, b"k1")
    assert p == "asn_" + hmac.new(b"k1", nip.encode(), hashlib.sha256).hexdigest()[:16]
    assert p != ps.pseudonymise(nip, b"k2")
    assert p != "asn_" + hashlib.sha256(nip.encode()).hexdigest()[:16]  # not a plain hash


def test_series_matches_scalar_and_keeps_missing():
    s = pd.Series(["198503122010011003", None, "198503122010011003"])
    out = ps.pseudonymise_series(s, b"k")
    assert out[0] == out[2] == ps.pseudonymise(s[0], b"k") and pd.isna(out[1])


def test_resolve_key_order(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ps.ENV_VAR, raising=False)
    with pytest.raises(ps.MissingKeyError, match=ps.ENV_VAR):
        ps.resolve_key(None, synthetic=False)
    assert ps.resolve_key(None, synthetic=True) == ps.DEMO_KEY
    (tmp_path / ps.KEY_FILE).write_text("file-secret\n")
    assert ps.resolve_key(None) == b"file-secret"
    monkeypatch.setenv(ps.ENV_VAR, "env-secret")
    assert ps.resolve_key(None) == b"env-secret"
    # the real secret is never applied to public synthetic data
    assert ps.resolve_key(None, synthetic=True) == ps.DEMO_KEY
    assert ps.resolve_key(b"explicit", synthetic=True) == b"explicit"
