"""The page in headless Chromium: what a person does, checked the way a person would see it.

Marked ``browser``; see conftest.py for how Chromium is found and when its absence fails.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

import lucidnet

pytestmark = pytest.mark.browser

SPIRAL_SETUP = "#features=x1,x2,sinx1,sinx2&hidden=8,8&optimizer=adam&learningRate=0.01"


@pytest.fixture
def page(browser, server):
    # Playwright's wait_for_function evaluates strings, which the page's own CSP forbids
    # ('unsafe-eval' is not allowed); test_the_page_obeys_its_own_csp checks the page without.
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    context.close()
    assert not errors, errors


def open_page(page, server, hash_part: str = ""):
    page.goto(server.url + hash_part)
    page.wait_for_function("document.getElementById('net').children.length > 0")
    return page


def number(page, selector: str) -> float:
    return float(page.inner_text(selector))


def wait_for(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def hash_state(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).fragment)


def test_a_spiral_trains_live(page, server, tmp_path):
    open_page(page, server, SPIRAL_SETUP)
    assert "lucidnet" in page.title()
    page.select_option("#dataset", "spiral")
    page.wait_for_function(
        "LN.state.data && LN.state.data.x.length === 400 && LN.state.config.dataset === 'spiral'"
    )
    page.click("#add-layer")
    page.wait_for_function("LN.state.frame.n.length === 5 && LN.state.config.hidden.length === 3")
    assert hash_state(page.url)["hidden"] == ["8,8,2"]
    start = number(page, "#test-loss")
    page.click("#play")
    wait_for(lambda: number(page, "#test-loss") < 0.2, 30, "the test loss to fall below 0.2")
    page.click("#play")  # pause
    page.wait_for_function("!LN.state.frame.running")
    assert number(page, "#epoch") > 0 and number(page, "#test-loss") < min(0.2, start)
    for button in ("#trace", "#gradcheck"):
        page.click(button)
    page.wait_for_selector("#gradcheck-out .ok")
    page.wait_for_selector("#trace-out table")
    assert "Z[1] = W[1] @ A[0] + b[1]" in page.inner_text("#trace-out")
    page.hover("#net line.link")
    assert page.inner_text("#hover").startswith("W[")
    shot = tmp_path / "playground.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_step_trains_one_minibatch(page, server):
    open_page(page, server)
    before = number(page, "#batch")
    page.click("#step")
    page.wait_for_function(f"document.getElementById('batch').textContent === '{before + 1:g}'")
    page.click("#step")
    page.wait_for_function(f"document.getElementById('batch').textContent === '{before + 2:g}'")
    page.click("#reset")
    page.wait_for_function("document.getElementById('batch').textContent === '0'")
    assert page.inner_text("#epoch") == "0"


def test_a_bad_upload_shows_an_error_and_the_server_keeps_serving(page, server):
    open_page(page, server)
    page.set_input_files(
        "#csv-file",
        files=[{"name": "broken.csv", "mimeType": "text/csv", "buffer": b"name,colour\nann,red\n"}],
    )
    page.wait_for_selector("#error:not([hidden])")
    assert "at least three" in page.inner_text("#error-text")
    page.set_input_files(
        "#csv-file",
        files=[{"name": "words.csv", "mimeType": "text/csv", "buffer": b"a,b,c\nx,y,z\nu,v,w\n"}],
    )
    page.wait_for_function("document.getElementById('error-text').textContent.includes('numeric')")
    before = number(page, "#batch")
    page.click("#step")  # the same page still trains...
    page.wait_for_function(f"document.getElementById('batch').textContent === '{before + 1:g}'")
    other = page.context.new_page()  # ...and the server serves a new one
    open_page(other, server)
    assert "lucidnet" in other.title()


def test_a_good_upload_trains_on_the_chosen_columns(page, server):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2)) * [3, 50] + [10, 200]
    lines = ["weight,height,noise,label"] + [
        f"{a:.3f},{b:.3f},{rng.normal():.3f},{'big' if a - 10 > (b - 200) / 17 else 'small'}"
        for a, b in X
    ]
    open_page(page, server)
    page.set_input_files(
        "#csv-file",
        files=[{"name": "t.csv", "mimeType": "text/csv", "buffer": "\n".join(lines).encode()}],
    )
    page.wait_for_selector("#csv-pick:not([hidden])")
    page.select_option("#csv-x1", "weight")
    page.select_option("#csv-x2", "height")
    page.select_option("#csv-target", "label")
    page.click("#csv-use")
    page.wait_for_function(
        "LN.state.config.dataset === 'csv' && LN.state.data.classes.length === 2"
    )
    page.click("#step")
    page.wait_for_function("document.getElementById('batch').textContent === '1'")


def test_the_url_holds_the_whole_setup(page, server, browser):
    open_page(page, server)
    page.select_option("#dataset", "moons")
    page.select_option("#activation", "relu")
    page.select_option("#learning-rate", "0.1")
    page.select_option("#optimizer", "adam")
    page.click("#add-layer")
    page.click("#units-plus-1")
    page.check("#feature-x1x2")
    page.check("#show-test")
    page.wait_for_function(
        "LN.state.config.hidden.join() === '5,2,2' && LN.state.config.features.length === 3"
    )
    url = page.url
    state = hash_state(url)
    assert state["dataset"] == ["moons"] and state["activation"] == ["relu"]
    assert state["features"] == ["x1,x2,x1x2"] and state["showTest"] == ["1"]
    again = page.context.new_page()
    open_page(again, server, "#" + urlsplit(url).fragment)
    again.wait_for_function("LN.state.frame && LN.state.frame.n.join() === '3,5,2,2,1'")
    for selector, value in (
        ("#dataset", "moons"),
        ("#activation", "relu"),
        ("#learning-rate", "0.1"),
        ("#optimizer", "adam"),
    ):
        assert again.input_value(selector) == value
    assert again.is_checked("#feature-x1x2") and again.is_checked("#show-test")
    assert hash_state(again.url) == state


def test_the_downloaded_model_loads_and_predicts(page, server, tmp_path):
    open_page(page, server, "#dataset=gauss")
    for _ in range(5):
        page.click("#step")
    page.wait_for_function("document.getElementById('batch').textContent === '5'")
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    model = lucidnet.load(path)
    assert type(model).__name__ == "TabularModel"
    assert list(model.preprocessor.columns) == ["x1", "x2"]
    assert "lucidnet predict" in page.inner_text("#download-note")
    import pandas as pd

    proba = model.predict_proba(pd.DataFrame({"x1": [2.0, -2.0], "x2": [2.0, -2.0]}))
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1)


def test_collapse_with_identity_hidden_layers(page, server):
    open_page(page, server, "#activation=identity&hidden=3,3")
    page.click("#collapse")
    page.wait_for_selector("#collapse-out .ok")
    assert "W = W[3] W[2] W[1]" in page.inner_text("#collapse-out")


def test_the_page_obeys_its_own_csp(browser, server):
    context = browser.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.goto(server.url)
    page.wait_for_selector("#net line.link")  # drawn: scripts ran, the socket answered
    page.click("#step")
    wait_for(lambda: page.inner_text("#batch") == "1", 10, "one step")
    context.close()
    assert not [m for m in messages if "Content Security Policy" in m or m.startswith("error")]


WEBSOCKET_RESULT = """url => new Promise(done => {
    const ws = new WebSocket(url);
    ws.onopen = () => { done("open"); ws.close(); };
    ws.onclose = event => done("closed " + event.code);
})"""


def test_a_rebound_name_and_a_page_of_another_origin_are_refused(playwright, server):
    from .conftest import launch_chromium

    # Chromium resolves evil.example to this computer, as a DNS-rebinding attack makes it
    browser = launch_chromium(playwright, "--host-resolver-rules=MAP evil.example 127.0.0.1")
    try:
        context = browser.new_context(bypass_csp=True)  # the page's CSP would stop the socket
        page = context.new_page()
        query = f"?token={server.token}"  # the worst case: the other page knows the token
        response = page.goto(f"http://evil.example:{server.port}/{query}")
        assert response is not None and response.status == 403
        assert "not to the Host 'evil.example:" in page.inner_text("body")
        # a page of another origin (here the same server under the name localhost) opening
        # a WebSocket to http://127.0.0.1: Chromium sends Origin http://localhost:PORT
        page.goto(f"http://localhost:{server.port}/{query}")
        other = f"ws://127.0.0.1:{server.port}/ws{query}"
        same = f"ws://localhost:{server.port}/ws{query}"
        assert page.evaluate(WEBSOCKET_RESULT, other) == "closed 1006"
        assert page.evaluate(WEBSOCKET_RESULT, same) == "open"
    finally:
        browser.close()
