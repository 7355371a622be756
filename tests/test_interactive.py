"""The interactive-figure helper: static frames really differ, HTML is self-contained, live widgets redraw."""
import base64
import json
import re

import numpy as np
import pytest

from bnutils.interactive import Choice, Slider, interactive_figure


def _draw(fig, a, kind):
    ax = fig.subplots()
    x = np.linspace(-3, 3, 50)
    ax.plot(x, np.sin(a * x) if kind == "sin" else np.cos(a * x))
    ax.set_title(f"a = {a}")


def test_static_frames_differ_and_html_is_self_contained():
    f = interactive_figure(_draw, a=[0.5, 1.0, 2.0], kind=Choice({"sine": "sin", "cosine": "cos"}),
                           caption="A test figure", mode="static")
    frames = f.frames()
    assert len(frames) == 6 and len(set(frames)) == 6
    assert all(fr[:8] == b"\x89PNG\r\n\x1a\n" for fr in frames)
    html = f.to_html()
    assert 'type="range"' in html and "<select" in html
    assert "http://" not in html and "https://" not in html and "require" not in html
    uris = json.loads(re.search(r'class="bnu-frames">(.*?)</script>', html).group(1))
    assert [base64.b64decode(u.split(",", 1)[1]) for u in uris] == frames
    # the initial image is the frame of the initial values (a = 1.0 is the middle value, kind = first)
    src = re.search(r'<img src="([^"]+)"', html).group(1)
    assert src == uris[1 * 2 + 0]
    assert 'alt="A test figure (a = 1, kind = sine)"' in html


def test_slider_and_choice_validation():
    s = Slider([1, 2, 3], value=3, fmt="{:.1f}")
    assert s.index == 2 and s.names == ["1.0", "2.0", "3.0"]
    with pytest.raises(ValueError, match="not one of"):
        Slider([1, 2], value=5)
    with pytest.raises(ValueError, match="max_frames"):
        interactive_figure(_draw, a=list(range(20)), kind=list("abcdefghij"), mode="static")
    with pytest.raises(TypeError, match="control 'a'"):
        interactive_figure(_draw, a=3, kind=["sin"], mode="static")
    with pytest.raises(ValueError, match="at least one control"):
        interactive_figure(_draw, mode="static")


def test_mode_follows_environment(monkeypatch):
    monkeypatch.setenv("BNUTILS_STATIC", "1")
    assert interactive_figure(_draw, a=[1.0], kind=["sin"]).mode == "static"
    monkeypatch.delenv("BNUTILS_STATIC")
    # no kernel in pytest: falls back to static, which needs no frontend
    assert interactive_figure(_draw, a=[1.0], kind=["sin"]).mode == "static"


def test_live_widget_redraws_on_change():
    pytest.importorskip("ipywidgets")
    f = interactive_figure(_draw, a=[0.5, 1.0, 2.0], kind=["sin", "cos"], mode="live")
    box = f.widget()
    slider, choice = box.children[0].children
    image = box.children[1]
    first = image.value
    slider.value = 2.0
    second = image.value
    choice.value = "cos"
    third = image.value
    assert first[:4] == b"\x89PNG"
    assert len({first, second, third}) == 3


def test_values_read_as_given_and_labels_fit():
    s = Slider([0.9, 0.99, 0.999, 0.9999, 1.0, 1e-5, 3])
    assert s.names == ["0.9", "0.99", "0.999", "0.9999", "1", "1e-05", "3"]
    pytest.importorskip("ipywidgets")
    box = interactive_figure(_draw, a=Slider([0.9999, 1.0], label="a long label that must not be cut"),
                             kind=["sin"], mode="live").widget()
    slider = box.children[0].children[0]
    assert slider.style.description_width == "initial"        # the label takes the width it needs
    assert slider.layout.width == "auto" and box.children[0].layout.flex_flow == "row wrap"
    assert [o[0] for o in slider.options] == ["0.9999", "1"]


def test_live_frames_are_cached():
    pytest.importorskip("ipywidgets")
    f = interactive_figure(_draw, a=[0.5, 1.0, 2.0], kind=["sin"], mode="live")
    calls = []
    orig = f.render
    f.render = lambda **kw: calls.append(kw) or orig(**kw)
    slider = f.widget().children[0].children[0]
    slider.value = 2.0
    slider.value = 1.0
    slider.value = 2.0
    assert len(calls) == 2                                     # 1.0 at start, then 2.0 once


def test_outside_a_notebook_it_says_how_and_saves_html(tmp_path, monkeypatch, capsys):
    f = interactive_figure(_draw, a=[0.5, 1.0], kind=["sin"], caption="Cap")
    assert "save(" in repr(f) and "Jupyter" in repr(f)
    p = f.save(tmp_path / "fig.html")
    text = p.read_text()
    assert text.startswith("<!DOCTYPE html>") and 'type="range"' in text
    with pytest.raises(ValueError, match=r"\.html"):
        f.save(tmp_path / "fig.png")
    monkeypatch.chdir(tmp_path)
    f._ipython_display_()                                      # no kernel, no IPython: writes a file
    out = capsys.readouterr().out
    assert "saved as" in out and str(tmp_path) in out
    assert len(list(tmp_path.glob("bnu-figure-*.html"))) == 1


def test_live_prefetch_draws_the_next_frames_only_after_a_move():
    """Run All draws one frame per figure; a reader's move schedules the neighbours of the new value
    on the kernel's event loop, so the next step is already drawn."""
    import asyncio

    pytest.importorskip("ipywidgets")
    f = interactive_figure(_draw, a=[0.25, 0.5, 1.0, 2.0, 4.0], kind=["sin", "cos"], mode="live")

    async def scenario():
        slider = f.widget().children[0].children[0]
        assert set(f._live_cache) == {(2, 0)}                 # display alone: no extra frames
        slider.value = 2.0                                     # moved right to index 3
        await asyncio.sleep(0.5)
        return set(f._live_cache)

    assert asyncio.run(scenario()) == {(2, 0), (3, 0), (4, 0)}   # 4: the next step; 2: back, already there


def test_static_frames_have_twice_the_pixels_of_their_css_width():
    import io

    from PIL import Image

    from bnutils.interactive import STATIC_DENSITY

    f = interactive_figure(_draw, a=[0.5, 1.0], kind=["sin"], figsize=(4.0, 2.0), dpi=80, mode="static")
    width_px = Image.open(io.BytesIO(f.frames()[0])).size[0]
    print(f"frame {width_px} px for a {4.0 * 80:.0f} CSS px figure (should be {STATIC_DENSITY} x)")
    assert STATIC_DENSITY >= 2 and abs(width_px - STATIC_DENSITY * 320) <= 2
    assert 'width="320"' in f.to_html()
