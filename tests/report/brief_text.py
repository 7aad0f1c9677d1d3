"""The brief's sections as a reader sees their text: claim spans (source on hover) removed."""

from __future__ import annotations

import html
import re

from analysis.report import brief as _brief

_SPAN = re.compile(r"</?span\b[^>]*>")


def plain(text: str) -> str:
    return html.unescape(_SPAN.sub("", text)) if "<span" in text else text


class PlainBrief:
    """``analysis.report.brief`` whose section functions return text without claim spans."""

    def __getattr__(self, name):
        attr = getattr(_brief, name)
        if callable(attr) and name.endswith(("_section", "_sections")):
            return lambda *a, **k: plain(attr(*a, **k))
        return attr


brief = PlainBrief()
