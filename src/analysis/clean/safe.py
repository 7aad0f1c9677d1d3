"""Show a raw value in a message only when it cannot be personal data.

Messages name file, column and row; an example value helps the reader only when it is a label,
a date or a small number. A value is shown when it has fewer than ten digits (an NIP, NIK or
phone number has more) and every word in it is a word of the export vocabulary (labels, headers,
month names, kelurahan). Anything else -- a person's name in a swapped column, an NIP -- is
replaced by its column and row. Hand-written: the rule is ours, no library decides "name-like".
"""

from __future__ import annotations

import re
from functools import lru_cache

from analysis.study import load as load_study

_DIGITS_SHOWN = 10  # fewer digits than this: a date, a time, a count


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Every word of the labels and headers cleaning knows (none of them is a person's name)."""
    from analysis.clean import parse as P
    from analysis.clean import specs as S

    words: set[str] = set(P.BULAN)

    def walk(obj) -> None:
        if isinstance(obj, str):
            words.update(S.key(obj).split())
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(k)
                walk(v)
        elif isinstance(obj, (tuple, list, set, frozenset)):
            for v in obj:
                walk(v)

    for name in ("HEADERS", "TEST_SERVICES", *(n for n in dir(S) if n.isupper())):
        walk(getattr(S, name))
    st = load_study()  # the default study's labels (kelurahan, OPDs, course titles, ...) are not personal
    walk([st.opds, st.unit_types, list(st.services), st.skm_services, st.diseases, st.courses, st.kelurahan])
    words.update({"tw", "triwulan", "ganjil", "genap", "semester", "q1", "q2", "q3", "q4", "test", "tes"})
    return frozenset(w for w in words if w and not w.isdigit())


def is_safe(value) -> bool:
    text = str(value)
    if sum(c.isdigit() for c in text) >= _DIGITS_SHOWN:
        return False
    words = re.findall(r"[a-z]+", text.lower())
    return all(w in vocabulary() for w in words)


def shown(value, column: str, row: int) -> str:
    """``repr(value)`` if it is safe to print, else a pointer to where it is."""
    return repr(value) if is_safe(value) else f"the value in column '{column}', row {row} (not shown: may be personal)"


def scrub(message: str) -> str:
    """Last line of defence for any message: hide digit runs as long as an NIP/NIK/phone number."""
    return re.sub(r"\d[\d .\-/]{8,}\d", lambda m: m.group() if sum(c.isdigit() for c in m.group()) < _DIGITS_SHOWN
                  else "[number hidden]", message)
