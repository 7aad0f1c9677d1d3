"""The HTML brief in headless Chromium: it loads offline with no failed request and no console error."""

from __future__ import annotations

import pytest

from brief_chromium import chromium_binary, load

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["id", "en", "unit"])
def test_html_loads_without_errors_or_external_requests(rendered, artifacts, tmp_path, name):
    if chromium_binary() is None:
        pytest.skip("chromium is not installed (apt-get install chromium): cannot open the HTML brief")
    pytest.importorskip("websocket", reason="websocket-client drives Chromium's DevTools protocol")
    shot = artifacts / f"html-{name}.png"
    result = load(rendered[name]["html"], shot, tmp_path / "profile")
    external = [u for u in result["requests"] if not u.startswith(("file:", "data:"))]
    assert not external, f"external requests: {external}"
    assert not result["failed"], result["failed"]
    assert not result["console_errors"] and not result["exceptions"] and not result["log_errors"]
    assert shot.stat().st_size > 20_000
