"""``SYNTHETIC.json``: the generator's manifest, and the check that it still describes ``raw_dir``.

The marker lists every file the generator wrote with its SHA-256. Data count as synthetic (and get the
public demo pseudonym key) only when every file under ``raw_dir`` is one of those files, unchanged. A
marker beside any other file -- a real roster copied in, an export edited -- is stale: cleaning stops
rather than apply the public key to what may be real NIPs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

MARKER = "SYNTHETIC.json"
#: Files that are never data: ignored by the check and by the generator's manifest.
NOT_DATA = (MARKER, ".gitkeep")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_files(raw_dir: Path) -> list[Path]:
    return sorted(p for p in Path(raw_dir).rglob("*") if p.is_file() and p.name not in NOT_DATA)


def write_marker(raw_dir: Path, info: dict) -> Path:
    """Write the marker with ``info`` and the hash of every file now under ``raw_dir``."""
    raw_dir = Path(raw_dir)
    files = {p.relative_to(raw_dir).as_posix(): _sha256(p) for p in data_files(raw_dir)}
    path = raw_dir / MARKER
    path.write_text(json.dumps({**info, "files": files}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


@dataclass
class MarkerCheck:
    present: bool = False
    valid: bool = False
    foreign: list[str] = field(default_factory=list)  # files not written by the generator, or changed since
    info: dict = field(default_factory=dict)
    unlisted: bool = False  # a marker without file hashes (an older generator's, or hand-made)

    @property
    def synthetic(self) -> bool:
        return self.present and self.valid


def check_marker(raw_dir: Path) -> MarkerCheck:
    raw_dir = Path(raw_dir)
    path = raw_dir / MARKER
    if not path.is_file():
        return MarkerCheck()
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        listed = info["files"]
        assert isinstance(listed, dict)
    except (ValueError, KeyError, AssertionError, UnicodeDecodeError):
        return MarkerCheck(present=True, valid=False, unlisted=True)
    foreign = [rel for rel, p in ((p.relative_to(raw_dir).as_posix(), p) for p in data_files(raw_dir))
               if listed.get(rel) != _sha256(p)]
    return MarkerCheck(present=True, valid=not foreign, foreign=foreign, info=info)


def stale_reason(check: MarkerCheck, raw_dir: Path) -> str:
    """Why a present marker does not make ``raw_dir`` synthetic, and what the user can do."""
    if check.unlisted:
        why = f"{MARKER} lists no file hashes (written by an older generator, or by hand)"
    else:
        more = f" and {len(check.foreign) - 3} more" if len(check.foreign) > 3 else ""
        why = f"{', '.join(check.foreign[:3])}{more} were not written by the generator (or changed since)"
    return (f"stale synthetic marker: {why}. Real exports must not get the public demo key: delete {MARKER} "
            f"if the folder holds real exports (they then use your key), or regenerate the synthetic data "
            f"with `analysis synth --out {raw_dir}` (replaces the folder)")
