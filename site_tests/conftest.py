"""Serve _build/html on 127.0.0.1 and drive Debian's Chromium with Playwright (no browser download)."""
import functools
import http.server
import os
import pathlib
import shutil
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# BNU_SITE_HTML: test another build (e.g. a partial one from tools/build_pages.sh) instead of _build/html
HTML = pathlib.Path(os.environ.get("BNU_SITE_HTML") or ROOT / "_build" / "html")
SHOTS = ROOT / "_build" / "screenshots"
sys.path.insert(0, str(ROOT / "tools"))
from toc_notebooks import toc_files  # noqa: E402

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path():
    for p in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if p and os.path.exists(p):
            return p
    return None


def pages():
    """(name, path under _build/html) for every page in _toc.yml."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [(pathlib.Path(f).name, f + ".html") for f in toc_files(toc)]


def notebook_pages():
    return [(n, p) for n, p in pages() if (ROOT / (p[:-5] + ".ipynb")).is_file()]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@pytest.fixture(scope="session")
def site():
    if not (HTML / "index.html").is_file():
        pytest.fail("no built website in _build/html: run `make book` first")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    exe = chromium_path()
    if exe is None:
        pytest.fail("Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    """A fresh page that records console errors and uncaught exceptions; requests that leave
    127.0.0.1 are blocked and recorded (the site must work with no network: MathJax and fonts are served
    from the site itself)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.errors = []
    pg.external = []
    pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))

    def route(r):
        if r.request.url.startswith(site) or r.request.url.startswith(("data:", "blob:")):
            return r.continue_()
        pg.external.append(r.request.url)
        return r.abort()

    pg.route("**/*", route)
    yield pg
    ctx.close()
