"""Open a local HTML file in headless Chromium over the DevTools protocol (test helper).

Collects every request the page makes, failed loads, console errors and uncaught
exceptions, the page's layout (:data:`LAYOUT_PROBE`) and saves a screenshot. Headless
Chromium keeps its window at least 500 px wide, so narrow widths are emulated with
``Emulation.setDeviceMetricsOverride`` (a phone: ``mobile=True``). Networking is confined by the flags the project
uses for CI (no background traffic, no QUIC); a self-contained brief makes no
request other than its own file and data: URIs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from base64 import b64decode
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--remote-debugging-port=0"]


#: Horizontal layout, measured in the page: the document's scroll width against the viewport,
#: the elements that stick out of it (outside any box that scrolls by itself), and per table
#: and image whether it fits or scrolls inside its own box.
LAYOUT_PROBE = """(() => {
  const vw = window.innerWidth;
  const scrolls = el => { for (let e = el; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX; if (o === 'auto' || o === 'scroll') return e; } return null; };
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');
  const sticking = [...document.body.querySelectorAll('*')].filter(e => {
      const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5) && !scrolls(e.parentElement);
  }).map(describe).slice(0, 10);
  const tables = [...document.querySelectorAll('table')].map(t => {
      const box = scrolls(t) || t; const r = box.getBoundingClientRect();
      return {id: t.id, fits: t.scrollWidth <= t.clientWidth + 1 || !!scrolls(t), right: r.right, scrollWidth: t.scrollWidth}; });
  const images = [...document.querySelectorAll('img')].map(i => ({right: i.getBoundingClientRect().right,
      width: i.getBoundingClientRect().width, natural: i.naturalWidth}));
  return JSON.stringify({innerWidth: vw, scrollWidth: document.documentElement.scrollWidth, sticking, tables, images});
})()"""


def chromium_binary() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, timeout: float = 30, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)
        raise TimeoutError(method)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(e.get("method") == event for e in self.events):
                return
            self.ws.settimeout(max(0.1, end - time.monotonic()))
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(event)

    def drain(self, seconds: float) -> None:
        import websocket

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.ws.settimeout(max(0.05, end - time.monotonic()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break


def load(html: Path, screenshot: Path, profile: Path, width: int = 1280, height: int = 2000,
         mobile: bool = False, scripts: tuple[str, ...] = ()) -> dict:
    """Load ``html``; return requests, failures, console errors, exceptions and layout; save a PNG screenshot.

    ``scripts``: JavaScript expressions evaluated in order after the page loaded (each may act on the
    page, e.g. type into a field); their values are returned as ``results``.
    """
    import websocket

    binary = chromium_binary()
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a reused profile keeps the last port
    proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.loads(response.read())
        target = next(t for t in targets if t.get("type") == "page")
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        page = Page(ws)
        for domain in ("Network", "Runtime", "Log", "Page"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        page.call("Page.navigate", url=html.resolve().as_uri())
        page.wait_for("Page.loadEventFired")
        page.drain(1.0)
        layout = json.loads(page.call("Runtime.evaluate", expression=LAYOUT_PROBE, returnByValue=True)["result"]["value"])
        results = [page.call("Runtime.evaluate", expression=script, returnByValue=True)["result"].get("value")
                   for script in scripts]
        shot = page.call("Page.captureScreenshot", format="png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(b64decode(shot["data"]))
        ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    events = page.events
    params = [(e["method"], e.get("params", {})) for e in events if "method" in e]
    return {
        "layout": layout,
        "results": results,
        "requests": [p["request"]["url"] for m, p in params if m == "Network.requestWillBeSent"],
        "failed": [p.get("errorText", "") for m, p in params if m == "Network.loadingFailed"],
        "console_errors": [p for m, p in params if m == "Runtime.consoleAPICalled" and p.get("type") == "error"],
        "exceptions": [p for m, p in params if m == "Runtime.exceptionThrown"],
        "log_errors": [p["entry"] for m, p in params if m == "Log.entryAdded" and p["entry"].get("level") == "error"],
    }
