"""Open a local HTML file in headless Chromium over the DevTools protocol (test helper).

Collects every request the page makes, failed loads, console errors and uncaught
exceptions, and saves a screenshot. Networking is confined by the flags the project
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


def load(html: Path, screenshot: Path, profile: Path, width: int = 1280, height: int = 2000) -> dict:
    """Load ``html``; return requests, failures, console errors and exceptions; save a PNG screenshot."""
    import websocket

    binary = chromium_binary()
    profile.mkdir(parents=True, exist_ok=True)
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
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        page.call("Page.navigate", url=html.resolve().as_uri())
        page.wait_for("Page.loadEventFired")
        page.drain(1.0)
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
        "requests": [p["request"]["url"] for m, p in params if m == "Network.requestWillBeSent"],
        "failed": [p.get("errorText", "") for m, p in params if m == "Network.loadingFailed"],
        "console_errors": [p for m, p in params if m == "Runtime.consoleAPICalled" and p.get("type") == "error"],
        "exceptions": [p for m, p in params if m == "Runtime.exceptionThrown"],
        "log_errors": [p["entry"] for m, p in params if m == "Log.entryAdded" and p["entry"].get("level") == "error"],
    }
