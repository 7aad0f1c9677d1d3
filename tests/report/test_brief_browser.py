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


@pytest.mark.parametrize("name", ["id", "en", "unit"])
@pytest.mark.parametrize("width", [390, 1280])
def test_page_never_overflows_horizontally(rendered, artifacts, tmp_path, name, width):
    """A phone (390 px, emulated: headless Chromium keeps windows >= 500 px) and a desktop: wide tables
    scroll inside their own box, figures scale, and the page itself never scrolls sideways."""
    if chromium_binary() is None:
        pytest.skip("chromium is not installed (apt-get install chromium): cannot open the HTML brief")
    pytest.importorskip("websocket", reason="websocket-client drives Chromium's DevTools protocol")
    result = load(rendered[name]["html"], artifacts / f"html-{name}-{width}.png", tmp_path / "profile",
                  width=width, height=2400 if width < 500 else 1600, mobile=width < 500)
    layout = result["layout"]
    # a phone widens its layout viewport (and zooms out) when the page is wider than the screen
    assert layout["innerWidth"] == width, f"the page is {layout['innerWidth']} px wide on a {width} px screen"
    assert layout["scrollWidth"] <= layout["innerWidth"], layout
    assert not layout["sticking"], f"elements outside the screen: {layout['sticking']}"
    assert layout["tables"] and all(t["fits"] and t["right"] <= width + 0.5 for t in layout["tables"]), layout["tables"]
    assert layout["images"] and all(i["right"] <= width + 0.5 for i in layout["images"]), layout["images"]
