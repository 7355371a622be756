"""The built website in a real browser: every page loads without errors, every interactive figure changes
its image when its control moves, launch buttons exist, navigation and search work, pages stay light."""
import pathlib
import re

import pytest

from conftest import HTML, ROOT, SHOTS, notebook_pages, pages

VERDICTS = ("holds", "holds partly", "does not hold here", "inconclusive at this scale")

PAGES = pages()
NB_PAGES = notebook_pages()
# Nothing may come from the network: MathJax (vendored by `make vendor`) and fonts are served by the site.


@pytest.mark.parametrize("name,path", PAGES, ids=[n for n, _ in PAGES])
def test_page_loads_cleanly(page, site, name, path):
    page.goto(f"{site}/{path}", wait_until="load")
    page.wait_for_timeout(300)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert not page.errors, page.errors
    assert not page.external, f"{name} loads from the network: {page.external}"
    body = page.content()
    assert "application/vnd.jupyter.widget-view+json" not in body, "a plain ipywidget (frozen on a static page)"
    assert not page.query_selector_all("div.output.stderr, div.stderr"), "stderr output on the page"
    for debris in ("Traceback (most recent call last)", "Warning:", "it/s]", "WARNING:absl"):
        assert debris not in page.inner_text("main"), f"{debris!r} on {name}"


@pytest.mark.parametrize("name,path", NB_PAGES, ids=[n for n, _ in NB_PAGES])
def test_every_interactive_figure_responds(page, site, name, path):
    page.goto(f"{site}/{path}", wait_until="load")
    figures = page.query_selector_all(".bnu-interactive")
    assert figures, f"{name} has no interactive figure"
    for k, fig in enumerate(figures):
        img = fig.query_selector("img")
        assert img.get_attribute("alt"), f"figure {k} on {name} has no alt text"
        for control in fig.query_selector_all("[data-control]"):
            before = img.get_attribute("src")
            if control.evaluate("e => e.tagName") == "SELECT":
                n = control.evaluate("e => e.options.length")
                if n < 2:
                    continue
                cur = int(control.evaluate("e => e.selectedIndex"))
                control.select_option(index=(cur + 1) % n)
            else:
                lo, hi = int(control.get_attribute("min")), int(control.get_attribute("max"))
                if hi == lo:
                    continue
                control.focus()
                key = "ArrowRight" if int(control.input_value()) < hi else "ArrowLeft"
                page.keyboard.press(key)
            after = img.get_attribute("src")
            assert after != before, f"figure {k} on {name}: moving {control.get_attribute('data-control')} did not change the image"
            out = control.evaluate("e => e.parentNode.querySelector('output') && e.parentNode.querySelector('output').textContent")
            assert out is None or out.strip()


@pytest.mark.parametrize("width", [1280, 390])
def test_interactive_frames_are_sharp_on_high_density_screens(browser, site, width):
    """Every interactive frame has at least twice as many pixels as the CSS pixels it is shown in,
    on a desktop and on a 390 px phone, so it is sharp at a device-pixel ratio of 2."""
    ctx = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=2)
    pg = ctx.new_page()
    pg.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: route.abort())
    blurry = []
    try:
        for name, path in NB_PAGES:
            pg.goto(f"{site}/{path}", wait_until="load")
            for k, img in enumerate(pg.query_selector_all(".bnu-interactive img")):
                img.scroll_into_view_if_needed()
                natural, shown = img.evaluate("e => [e.naturalWidth, e.getBoundingClientRect().width]")
                if shown > 0 and natural < 2 * shown - 1:
                    blurry.append(f"{name} figure {k}: {natural} px shown at {shown:.0f} CSS px")
    finally:
        ctx.close()
    assert not blurry, blurry


@pytest.mark.parametrize("name,path", NB_PAGES, ids=[n for n, _ in NB_PAGES])
def test_every_figure_has_alt_text(page, site, name, path):
    page.goto(f"{site}/{path}", wait_until="load")
    alts = page.eval_on_selector_all("main img", "els => els.map(e => e.getAttribute('alt') || '')")
    assert alts, f"{name} has no figures"
    bad = [a for a in alts if not a.strip() or a.endswith((".png", ".jpg", ".svg"))]
    assert not bad, f"{name}: figures without real alt text: {bad[:3]}"


@pytest.mark.parametrize("name,path", NB_PAGES, ids=[n for n, _ in NB_PAGES])
def test_launch_buttons(page, site, name, path):
    page.goto(f"{site}/{path}", wait_until="load")
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    nb = path[:-5] + ".ipynb"
    assert any("mybinder.org" in h and nb in h for h in hrefs), f"no Binder button on {name}"
    assert any("colab.research.google.com" in h and nb in h for h in hrefs), f"no Colab button on {name}"


def test_navigation_next_and_previous(page, site):
    page.goto(f"{site}/{PAGES[0][1]}", wait_until="load")
    visited = [page.url]
    for _ in range(len(PAGES) - 1):
        nxt = page.query_selector("a.right-next")
        assert nxt, f"no 'next' link on {page.url}"
        nxt.click()
        page.wait_for_load_state("load")
        visited.append(page.url)
    expected = [f"{site}/{p}" for _, p in PAGES]
    assert [u.split("#")[0] for u in visited] == expected
    prev = page.query_selector("a.left-prev")
    assert prev
    prev.click()
    page.wait_for_load_state("load")
    assert page.url.split("#")[0] == expected[-2]


def test_search_finds_a_chapter(page, site):
    page.goto(f"{site}/search.html?q=gamma", wait_until="load")
    page.wait_for_selector("#search-results li, ul.search li", timeout=15000)
    assert len(page.query_selector_all("ul.search li")) >= 1


def test_chapters_are_numbered(page, site):
    page.goto(f"{site}/{PAGES[0][1]}", wait_until="load")
    nav = page.inner_text("nav.bd-links")
    for n in range(1, len(NB_PAGES) + 1):
        assert re.search(rf"\b{n}\. ", nav), f"chapter {n} is not numbered in the sidebar"


def _page_weight(path):
    html_file = HTML / path
    text = html_file.read_text()
    total = html_file.stat().st_size
    for ref in set(re.findall(r'(?:src|href)="([^"#?]+\.(?:png|jpg|jpeg|svg|gif))', text)):
        f = (html_file.parent / ref).resolve()
        if f.is_file():
            total += f.stat().st_size
    return total


def test_page_weight_under_5_mb():
    sizes = {name: _page_weight(path) for name, path in PAGES}
    for name, size in sizes.items():
        print(f"{name}: {size / 1e6:.2f} MB")
    heavy = {n: s for n, s in sizes.items() if s > 5e6}
    assert not heavy, heavy


def test_internal_links_resolve():
    broken = []
    for html_file in HTML.rglob("*.html"):
        for ref in re.findall(r'href="([^"#:?]+\.html)(?:#[^"]*)?"', html_file.read_text()):
            if not (html_file.parent / ref).resolve().is_file():
                broken.append(f"{html_file.relative_to(HTML)} -> {ref}")
    assert not broken, broken[:20]


def test_claims_appendix_shows_a_verdict_for_every_claim(page, site):
    page.goto(f"{site}/book/appendix_claims.html", wait_until="load")
    rows = page.query_selector_all("table tbody tr")
    verdicts = {r.query_selector_all("td")[0].inner_text().strip(): r.query_selector_all("td")[2].inner_text().strip()
                for r in rows}
    assert list(verdicts) == [f"C{i}" for i in range(1, 16)]
    bad = {c: v for c, v in verdicts.items() if v not in VERDICTS}
    assert not bad, bad


@pytest.mark.parametrize("name,path", PAGES, ids=[n for n, _ in PAGES])
def test_math_is_typeset_offline(page, site, name, path):
    """Every math element is typeset by the vendored MathJax (network blocked): no raw TeX left."""
    page.goto(f"{site}/{path}", wait_until="load")
    n_math = len(page.query_selector_all("main .math"))
    if not n_math:
        pytest.skip(f"{name} has no math")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15000)
    page.evaluate("() => MathJax.startup.promise")
    n_mjx = len(page.query_selector_all("main .math mjx-container"))
    assert n_mjx == n_math, f"{name}: {n_mjx} of {n_math} math elements typeset"
    text = page.evaluate("""() => { const m = document.querySelector('main').cloneNode(true);
        m.querySelectorAll('pre, code, mjx-container').forEach(e => e.remove()); return m.textContent; }""")
    raw = [t for t in ("\\(", "\\)", "\\[", "\\]", "$$") if t in text]
    assert not raw, f"{name}: raw TeX delimiters {raw} left in the text"
    assert not page.query_selector_all("main mjx-merror"), f"{name}: MathJax reports a TeX error"
