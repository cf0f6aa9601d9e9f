"""One self-contained HTML page about a model: metrics, a layer table and figures.

``write_report(folder, title, sections)`` writes ``folder/report.html`` with every image
embedded as a base64 PNG data URI and the CSS inline, so the page needs no other file
and loads nothing from the network. Each figure is also saved next to it as a PNG with
a stable name (``<section>-<figure>-<name>.png``) that the page links to.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lucidnet.core.network import Network
from lucidnet.plot._figure import png_bytes, write_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Section", "summary_rows", "write_report"]

SUMMARY_HEADER = ("layer", "shape", "activation", "parameters")

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1a1a1a; background: #fafafa; line-height: 1.45; }
main { max-width: 1240px; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 1.8rem; margin: 0.5rem 0 1.5rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.75rem; border-bottom: 1px solid #ccc; }
section { margin-bottom: 2rem; }
table { border-collapse: collapse; margin: 0.75rem 0 1rem; background: #fff; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
th, td { border: 1px solid #d0d0d0; padding: 0.3rem 0.75rem; text-align: left; }
th { background: #eef2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; background: #fff; border: 1px solid #e0e0e0; padding: 0.5rem;
         display: inline-block; max-width: 100%; box-sizing: border-box; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9rem; color: #444; padding-top: 0.3rem; }
""".strip()


@dataclass
class Section:
    """One part of the report.

    Attributes
    ----------
    heading : str
    text : str, optional
        A paragraph under the heading.
    metrics : mapping {name: value}, optional
        A two-column table; floats are shown with 6 significant digits.
    summary : rows (layer, shape, activation, parameters), a Network or an estimator, optional
        The model summary table; a Network or an estimator is turned into rows by
        :func:`summary_rows`.
    figures : mapping {name: Figure} or sequence of Figure or (name, Figure), optional
        Saved as PNG files next to report.html and embedded in the page.
    """

    heading: str
    text: str | None = None
    metrics: Mapping[str, Any] | None = None
    summary: Any = None
    figures: Any = field(default_factory=list)


def summary_rows(model: Any) -> list[tuple[str, str, str, int | str]]:
    """The model summary of a Network (or an estimator's ``network_``): one row per layer.

    Each row is (layer, shape, activation, parameters) with shape "W[l] n[l]×n[l-1],
    b[l] n[l]" and parameters n[l]·n[l-1] + n[l]; a last row gives the total.

    Examples
    --------
    >>> summary_rows(Network([2, 3, 1], hidden_activation="tanh", seed=0))[0]
    ('1', 'W[1] 3×2, b[1] 3', 'tanh', 9)
    """
    net = model if isinstance(model, Network) else getattr(model, "network_", None)
    if not isinstance(net, Network):
        raise TypeError(
            f"summary_rows needs a Network or a fitted estimator; got {type(model).__name__}."
        )
    n = net.n
    rows: list[tuple[str, str, str, int | str]] = [
        (
            str(l),
            f"W[{l}] {n[l]}×{n[l - 1]}, b[{l}] {n[l]}",
            net.activation_names[l - 1],
            n[l] * n[l - 1] + n[l],
        )
        for l in range(1, net.L + 1)
    ]
    rows.append(("total", f"n[0] = {n[0]} → n[{net.L}] = {n[net.L]}", "", net.n_parameters))
    return rows


def write_report(
    folder: str | os.PathLike[str],
    title: str,
    sections: Sequence[Section | Mapping[str, Any]],
    *,
    dpi: float = 100,
) -> Path:
    """Write ``folder/report.html`` (and one PNG per figure beside it); return its path.

    Parameters
    ----------
    folder : str or path-like
        Created if missing. Files of the same names are replaced (atomically).
    title : str
        The page's title and top heading.
    sections : sequence of Section or of dicts with Section's fields
        In order; see :class:`Section`.
    dpi : float, default=100
        Resolution of the PNGs: a w × h inch figure is (w·dpi) × (h·dpi) pixels.

    Returns
    -------
    pathlib.Path
        The path of report.html.

    Notes
    -----
    Every piece of text is escaped with ``html.escape``. The page is HTML5 (doctype,
    ``lang``, ``meta charset``) with inline CSS and images as ``data:image/png;base64``
    URIs, so it shows the same when mailed on its own.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_esc(title)}</h1>",
    ]
    for i, raw in enumerate(sections, start=1):
        section = _as_section(raw, i)
        parts.append("<section>")
        parts.append(f"<h2>{_esc(section.heading)}</h2>")
        if section.text:
            parts.append(f"<p>{_esc(section.text)}</p>")
        if section.metrics:
            parts.append(_metrics_table(section.metrics))
        if section.summary is not None:
            parts.append(_summary_table(section.summary))
        for j, (name, fig) in enumerate(_named_figures(section.figures, i), start=1):
            filename = f"{i:02d}-{j:02d}-{_slug(name)}.png"
            data = png_bytes(fig, dpi)
            write_png(folder / filename, data)
            width, height = (round(float(v) * dpi) for v in fig.get_size_inches())
            uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            parts.append(
                "<figure>"
                f'<a href="{_esc(filename)}"><img src="{uri}" alt="{_esc(name)}" '
                f'width="{width}" height="{height}"></a>'
                f'<figcaption>{_esc(name)} — <a href="{_esc(filename)}">{_esc(filename)}</a>'
                "</figcaption></figure>"
            )
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>", ""]
    path = folder / "report.html"
    write_png(path, "\n".join(parts).encode("utf-8"))
    return path


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _slug(name: str) -> str:
    """A file-name-safe form of a figure name: lowercase ASCII letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "figure"


def _as_section(raw: Section | Mapping[str, Any], index: int) -> Section:
    if isinstance(raw, Section):
        section = raw
    elif isinstance(raw, Mapping):
        known = {"heading", "text", "metrics", "summary", "figures"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(
                f"Section {index} has unknown keys {sorted(unknown)}; the keys are {sorted(known)}."
            )
        section = Section(**raw)
    else:
        raise TypeError(
            f"Section {index} must be a lucidnet.plot.report.Section or a dict; got "
            f"{type(raw).__name__}."
        )
    if not isinstance(section.heading, str) or not section.heading:
        raise ValueError(f"Section {index} needs a non-empty heading; got {section.heading!r}.")
    return section


def _named_figures(figures: Any, index: int) -> list[tuple[str, Figure]]:
    if figures is None:
        return []
    items = list(figures.items()) if isinstance(figures, Mapping) else list(figures)
    named = []
    for j, item in enumerate(items, start=1):
        name, fig = item if isinstance(item, tuple) else (f"figure {j}", item)
        if not hasattr(fig, "savefig"):
            raise TypeError(
                f"Section {index}, figure {j} ({name!r}) is not a matplotlib Figure; got "
                f"{type(fig).__name__}."
            )
        named.append((str(name), fig))
    return named


def _cell(value: Any) -> str:
    if hasattr(value, "item") and callable(value.item):  # a NumPy scalar
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool) or not isinstance(value, Real):
        return f"<td>{_esc(value)}</td>"
    text = str(value) if isinstance(value, Integral) else f"{float(value):.6g}"
    return f'<td class="num">{_esc(text)}</td>'


def _metrics_table(metrics: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{_esc(name)}</th>{_cell(v)}</tr>" for name, v in metrics.items())
    return f"<table><caption>Metrics</caption><tbody>{rows}</tbody></table>"


def _summary_table(summary: Any) -> str:
    if isinstance(summary, Network) or hasattr(summary, "network_"):
        summary = summary_rows(summary)
    head = "".join(f'<th scope="col">{_esc(h)}</th>' for h in SUMMARY_HEADER)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in summary)
    return (
        "<table><caption>Model summary</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
