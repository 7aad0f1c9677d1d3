"""Match an area name as an export spells it to an official Kemendagri name.

Tolerant of case, spacing and punctuation, of the prefixes "Kel." / "Kelurahan" / "Desa" /
"Kec." / "Kecamatan", and of spelling variants that differ only in spaces (an export's "Talang X"
for the official "Talangx"). An unknown or ambiguous name raises :class:`NameMatchError` with the reason and the
closest official name; a name is never silently assigned. The prefixes and office-name abbreviations are
data (``name_rules.yaml``). Hand-written: the rule is short and ours
(difflib only suggests, it never decides).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class _NameRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    area_prefixes: tuple[str, ...]
    unit_phrases: dict[str, str]
    unit_words: dict[str, str]
    unit_ignored_words: frozenset[str]


@lru_cache(maxsize=1)
def rules() -> _NameRules:
    """The abbreviation rules of ``name_rules.yaml`` (data, validated once)."""
    path = Path(__file__).with_name("name_rules.yaml")
    try:
        return _NameRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise ValueError(f"{path.name}: {exc}") from None


class NameMatchError(ValueError):
    def __init__(self, name: str, reason: str, closest: str | None = None):
        self.name, self.reason, self.closest = name, reason, closest
        hint = f" (closest official name: {closest!r})" if closest else ""
        super().__init__(f"{name!r}: {reason}{hint}")


def name_key(name: str) -> str:
    """Lower case, prefixes dropped, everything but letters and digits removed."""
    toks = re.sub(r"[^0-9a-z]+", " ", str(name).lower()).split()
    prefixes = rules().area_prefixes
    while toks and toks[0] in prefixes:
        toks = toks[1:]
    return "".join(toks)


def closest(name: str, official) -> str | None:
    keys = {name_key(o): o for o in official}
    hit = difflib.get_close_matches(name_key(name), list(keys), n=1, cutoff=0.6)
    return keys[hit[0]] if hit else None


def match(name: str, official) -> str:
    """The one official name ``name`` means, or :class:`NameMatchError`."""
    official = list(official)
    k = name_key(name)
    if not k:
        raise NameMatchError(name, "empty name")
    hits = sorted({o for o in official if name_key(o) == k})
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise NameMatchError(name, f"ambiguous: matches {hits}")
    return _unknown(name, official)


def _unknown(name: str, official) -> str:
    raise NameMatchError(name, "matches no official name of the study", closest(name, official))


def lookup(official) -> dict[str, str]:
    """``name_key -> official name`` for the unambiguous keys (for vectorised matching)."""
    by: dict[str, list[str]] = {}
    for o in official:
        by.setdefault(name_key(o), []).append(o)
    return {k: v[0] for k, v in by.items() if len(v) == 1}
