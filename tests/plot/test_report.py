"""write_report: one self-contained, valid HTML5 page plus a PNG per figure."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from lucidnet.plot import decision_boundary, learning_curves
from lucidnet.plot.report import Section, summary_rows, write_report

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}


class Checker(HTMLParser):
    """Checks that tags balance and collects <img> sources, links and external references."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.tags.append(f"!{decl.lower()}")

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        if tag == "a":
            self.links.append(attributes.get("href") or "")
        if tag in ("script", "link", "iframe"):
            self.errors.append(f"external-capable tag <{tag}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(path) -> Checker:
    checker = Checker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    assert not checker.errors, checker.errors
    assert not checker.stack, f"unclosed tags {checker.stack}"
    return checker


def test_report_is_self_contained_valid_html(moons, moons_estimator, tmp_path, png_shape):
    sections = [
        Section(
            heading="Training <moons> & friends",
            text='A "quoted" paragraph with <b>no</b> markup.',
            metrics={"accuracy": 0.987654321, "epochs": 250, "note": "<script>x</script>"},
            summary=moons.net,
            figures={
                "Decision boundary": decision_boundary(moons.net, moons.X, moons.y, resolution=40),
                "Learning curves": learning_curves(moons_estimator),
            },
        ),
        {"heading": "Curves only", "figures": [learning_curves(moons.costs)]},
    ]
    path = write_report(tmp_path / "out", "Report: <lucidnet>", sections)
    assert path == tmp_path / "out" / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Training &lt;moons&gt; &amp; friends" in page
    assert "http://" not in page and "https://" not in page

    checker = parse(path)
    assert checker.tags[:3] == ["!doctype html", "html", "head"]
    expected = ["01-01-decision-boundary.png", "01-02-learning-curves.png", "02-01-figure-1.png"]
    pngs = sorted(p.name for p in path.parent.glob("*.png"))
    assert pngs == expected
    assert len(checker.images) == 3
    for image, name in zip(checker.images, expected, strict=True):
        src = image["src"] or ""
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1])
        assert data == (path.parent / name).read_bytes()  # the embedded PNG is the saved one
        assert name in checker.links
        h, w = png_shape(path.parent / name)
        assert (image["width"], image["height"]) == (str(w), str(h))
    assert png_shape(path.parent / expected[0]) == (560, 650)
    text = " ".join(checker.text)
    assert "0.987654" in text and "250" in text
    assert "W[1] 16×2, b[1] 16" in text and "tanh" in text


def test_summary_rows_total():
    from lucidnet import Network

    rows = summary_rows(Network([3, 4, 2], output="softmax", seed=0))
    assert rows[-1] == ("total", "n[0] = 3 → n[2] = 2", "", 3 * 4 + 4 + 4 * 2 + 2)
    assert rows[1][2] == "softmax"


def test_report_input_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown keys"):
        write_report(tmp_path, "t", [{"heading": "a", "figure": []}])
    with pytest.raises(ValueError, match="non-empty heading"):
        write_report(tmp_path, "t", [{"heading": ""}])
    with pytest.raises(TypeError, match="not a matplotlib Figure"):
        write_report(tmp_path, "t", [{"heading": "a", "figures": ["x.png"]}])
