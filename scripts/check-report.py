#!/usr/bin/env python3
"""Renders a `retention report` HTML file in headless Chromium and checks it.

    python3 scripts/check-report.py REPORT.html OUT_DIR [--readme-shot PNG]

Over the Chrome DevTools Protocol (a websocket to a headless `chromium` started here with
networking denied), in the light and the dark colour scheme:
  - no console error, no uncaught exception, and no network request attempted (any URL
    other than the file itself or a data: URL fails the check);
  - a full-page screenshot, written to OUT_DIR/report-{light,dark}.png (paths printed);
  - every chart (figure.chart svg) is not blank: in its crop of the screenshot at least 2%
    of the pixels differ from the crop's background colour, and at least 0.5% are in a
    saturated (data) colour, not the grey of axes, grid and text.
With --readme-shot, the top of the light page is also written there (palette PNG, small).
Exit code 0 when every check holds, 1 otherwise. Run it with scripts/check-report.sh,
which provides Chromium and a virtualenv with the pinned websocket-client and Pillow.
"""

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client
from PIL import Image

WIDTH = 1100


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check-report: no chromium on PATH (Debian: apt-get install chromium)")


class Browser:
    """A headless Chromium with networking denied, driven over CDP."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="retention-report-chromium-")
        self.proc = subprocess.Popen(
            [
                chromium_binary(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--force-color-profile=srgb",
                # No network: no proxy reachable, no name resolves.
                "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        else:
            self.close()
            sys.exit("check-report: chromium did not start its DevTools endpoint")
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for e in self.events:
                if e.get("method") == method:
                    return e
            self.ws.settimeout(max(0.1, deadline - time.time()))
            self.events.append(json.loads(self.ws.recv()))
        raise RuntimeError(f"no {method} within {timeout}s")

    def close(self):
        try:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def check(browser, url, scheme, out_dir):
    """Loads the page in `scheme`; returns (problems, screenshot image)."""
    problems = []
    browser.events.clear()
    for domain in ("Page", "Network", "Runtime", "Log"):
        browser.call(f"{domain}.enable")
    browser.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=900,
                 deviceScaleFactor=1, mobile=False)
    browser.call("Emulation.setEmulatedMedia", media="screen",
                 features=[{"name": "prefers-color-scheme", "value": scheme}])
    browser.call("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")
    time.sleep(0.3)
    rects = browser.call(
        "Runtime.evaluate",
        returnByValue=True,
        expression="""JSON.stringify({
          height: document.documentElement.scrollHeight,
          charts: [...document.querySelectorAll('figure.chart svg')].map(s => {
            const r = s.getBoundingClientRect();
            return {id: s.closest('section').id, x: r.left + scrollX, y: r.top + scrollY,
                    w: r.width, h: r.height};
          })})""",
    )
    layout = json.loads(rects["result"]["value"])
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                        clip={"x": 0, "y": 0, "width": WIDTH, "height": layout["height"],
                              "scale": 1})
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    path = os.path.join(out_dir, f"report-{scheme}.png")
    image.save(path)
    print(f"check-report: {scheme} screenshot: {path} ({image.width}x{image.height})")

    for e in browser.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Network.requestWillBeSent":
            req = p["request"]["url"]
            if not (req == url or req.startswith("data:")):
                problems.append(f"{scheme}: network request attempted: {req}")
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            problems.append(f"{scheme}: console error: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            problems.append(f"{scheme}: exception: {p['exceptionDetails'].get('text')}")
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            problems.append(f"{scheme}: console error: {p['entry'].get('text')}")

    if not layout["charts"]:
        print(f"check-report: {scheme}: the page has no charts")
    for c in layout["charts"]:
        box = (int(c["x"]), int(c["y"]), int(c["x"] + c["w"]), int(c["y"] + c["h"]))
        crop = image.crop(box)
        colours = crop.getcolors(maxcolors=crop.width * crop.height) or []
        background = max(colours)[1] if colours else None
        total = max(1, crop.width * crop.height)
        ink = sum(n for n, col in colours if col != background)
        # Axes, grid and text are grey; data (bars, lines, cells) is in saturated colours.
        data = sum(n for n, col in colours if max(col) - min(col) > 40)
        share, data_share = ink / total, data / total
        print(f"check-report: {scheme}: chart #{c['id']} {crop.width}x{crop.height}: "
              f"{share:.1%} drawn, {data_share:.1%} in data colours")
        if crop.width < 50 or crop.height < 50 or share < 0.02 or data_share < 0.005:
            problems.append(f"{scheme}: chart #{c['id']} looks blank "
                            f"({share:.1%} drawn, {data_share:.1%} in data colours)")
    return problems, image


def main():
    args = sys.argv[1:]
    readme = None
    if "--readme-shot" in args:
        i = args.index("--readme-shot")
        readme = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    report, out_dir = os.path.abspath(args[0]), os.path.abspath(args[1])
    if not os.path.isfile(report):
        sys.exit(f"check-report: {report} does not exist")
    os.makedirs(out_dir, exist_ok=True)
    url = "file://" + report
    browser = Browser()
    try:
        problems, light = check(browser, url, "light", out_dir)
        dark_problems, _ = check(browser, url, "dark", out_dir)
        problems += dark_problems
    finally:
        browser.close()
    if readme:
        top = light.crop((0, 0, light.width, min(light.height, 1500)))
        top = top.resize((top.width * 3 // 4, top.height * 3 // 4), Image.LANCZOS)
        top.quantize(colors=256, method=Image.MEDIANCUT).save(readme, optimize=True)
        print(f"check-report: README screenshot: {readme} ({os.path.getsize(readme)} bytes)")
    for p in problems:
        print(f"check-report: FAIL {p}")
    print(f"check-report: {'FAILED' if problems else 'ok'}: {report}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
