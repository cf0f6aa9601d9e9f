"""`lucidnet demo`: trains both problems, reaches its targets, writes the report folder."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np

import lucidnet
from lucidnet.cli.demo import run_demo
from lucidnet.tables import TabularModel


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.sources.append(values.get("src") or "")
        if tag == "a":
            self.links.append(values.get("href") or "")


def test_demo_trains_reaches_targets_and_writes_the_report(tmp_path, capsys):
    folder = tmp_path / "demo"
    results = run_demo(seed=0, out=folder)
    out, err = capsys.readouterr()
    assert results["breast_cancer"] >= 0.95
    assert results["moons"] >= 0.95
    assert "val_loss" in out and "held-out accuracy" in out and "* best" in out
    assert "val_loss=" in err and "batch" in err  # the live tqdm bar, on standard error

    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    parser = _Images()
    parser.feed(html)
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert any("feature-map" in name for name in pngs)
    assert any("decision-boundary" in name for name in pngs)
    assert any("identity-collapse" in name for name in pngs)
    assert len(parser.sources) == len(pngs)
    assert all(src.startswith("data:image/png;base64,") for src in parser.sources)
    for name in pngs:
        assert name in parser.links and (folder / name).stat().st_size > 10_000

    model = lucidnet.load(folder / "breast_cancer.safetensors")
    assert isinstance(model, TabularModel)
    assert np.isclose(model.metrics["held-out accuracy"], results["breast_cancer"])
