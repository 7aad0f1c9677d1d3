"""Keyed pseudonyms for personal identifiers (NIP/NI), per UU 27/2022 (PDP).

A pseudonym is ``prefix + HMAC-SHA256(key, digits)[:16 hex]``: stable across
runs and files for one key (so joins work), not reversible without the key,
and not a plain hash (a plain SHA-256 of an 18-digit NIP is cheap to brute-force
because birth date and TMT are guessable).

Key resolution (:func:`resolve_key`): an explicit argument wins. Data marked
synthetic by ``SYNTHETIC.json`` then uses :data:`DEMO_KEY`, which is public and
protects nothing -- deliberately, so the real secret is never applied to public
inputs and synthetic results are the same on every machine. Real data uses the
env var ``ANALYSIS_PSEUDONYM_KEY``, else a ``.pseudonym-key`` file (git-ignored)
in the working directory or next to the data; without one it is an error.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import numpy as np
import pandas as pd

ENV_VAR = "ANALYSIS_PSEUDONYM_KEY"
KEY_FILE = ".pseudonym-key"
#: Public demo key, used only for data the generator marked synthetic.
DEMO_KEY = b"plaju-synthetic-demo-key-not-secret"
PREFIX = "asn_"
HEX_CHARS = 16


class MissingKeyError(RuntimeError):
    """No pseudonym key for real (non-synthetic) data."""


def resolve_key(key: bytes | None = None, *, synthetic: bool = False, search: tuple[Path, ...] = ()) -> bytes:
    if key:
        return key
    if synthetic:
        return DEMO_KEY
    env = os.environ.get(ENV_VAR)
    if env:
        return env.encode("utf-8")
    for folder in (Path.cwd(), *search):
        f = Path(folder) / KEY_FILE
        if f.is_file():
            content = f.read_bytes().strip()
            if content:
                return content
    raise MissingKeyError(
        f"No pseudonym key: set {ENV_VAR} or write a secret to ./{KEY_FILE} (git-ignored). "
        "Real NIP/NI are never written without one.")


def pseudonymise(value: str, key: bytes, prefix: str = PREFIX) -> str:
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return prefix + digest[:HEX_CHARS]


def pseudonymise_series(values: pd.Series, key: bytes, prefix: str = PREFIX) -> pd.Series:
    """Vectorised over unique values: rosters repeat the same NIP thousands of times."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([pseudonymise(str(u), key, prefix) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype="str")
