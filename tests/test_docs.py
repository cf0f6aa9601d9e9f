"""The README and the documentation site: short README, links that resolve, a complete nav.

`make docs` builds the site with ``mkdocs build --strict`` (links between pages, anchors,
the API reference). These tests check what that build does not see or what must hold even
without it: the README's length and links (the README is not a page of the site), and the
links and anchors as GitHub renders them (its heading slugs), for every page.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_LINES = 250

# The pages of the site: every Markdown file under docs/ (the hooks folder holds code).
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.relative_to(DOCS).parts)
MARKDOWN = [README, *PAGES]

# [text](target) and ![alt](target). A "[" right after a letter, digit, "_", "^" or "]" is
# the lecture's notation, g[l](Z[l]), never a link (docs/_hooks/notation.py renders it so).
LINK = re.compile(
    r"(?<![\w^\]])!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def prose_lines(path: Path, *, code_spans: bool = False) -> list[str]:
    """The lines of a Markdown file, fenced and indented code blanked (line numbers kept).

    Code spans are removed too unless ``code_spans`` (a heading's anchor includes them).
    """
    lines, in_fence, fence = [], False, ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = FENCE.match(line)
        if m and (not in_fence or m.group(1) == fence):
            in_fence, fence = not in_fence, m.group(1)
            lines.append("")
        elif in_fence or line.startswith("    "):
            lines.append("")
        else:
            lines.append(line if code_spans else CODE_SPAN.sub("", line))
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (github-slugger's rule, on the rendered text)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").replace("*", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, duplicates numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose_lines(path, code_spans=True):
        m = HEADING.match(line)
        if not m:
            continue
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return out


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every relative link of a Markdown file."""
    out = []
    for number, line in enumerate(prose_lines(path), start=1):
        for m in LINK.finditer(line):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # https:, mailto:, ...
            out.append((number, target))
    return out


def test_readme_is_short() -> None:
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= README_MAX_LINES, f"README.md has {n} lines; at most {README_MAX_LINES}"


def test_the_link_finder_finds_links_and_skips_code_and_notation(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "See [the lecture](MATH.md#5-backpropagation) and ![a picture](img.png).\n"
        "The lecture's A[l] = g[l](Z[l]) and g^[L](W x + b) are not links.\n"
        "`[code](not-a-link.md)` and [a site](https://example.org) are skipped.\n"
        "```text\n[fenced](not-a-link.md)\n```\n"
        "    [indented](not-a-link.md)\n",
        encoding="utf-8",
    )
    assert links(page) == [(1, "MATH.md#5-backpropagation"), (1, "img.png")]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("4b. Other outputs and their losses", "4b-other-outputs-and-their-losses"),
        ("Options of `lucidnet train`", "options-of-lucidnet-train"),
        ('Dask: `pip install "lucidnet[dask]"`', "dask-pip-install-lucidnetdask"),
        (
            "Memory: peak RSS does not grow with the file",
            "memory-peak-rss-does-not-grow-with-the-file",
        ),
        ("The lecture, runnable", "the-lecture-runnable"),
        ('Full-batch L-BFGS: `solver="lbfgs"`', "full-batch-l-bfgs-solverlbfgs"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


@pytest.mark.parametrize("path", MARKDOWN, ids=_rel)
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for number, target in links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{_rel(path)}:{number}: {target} (no file {file_part})")
        elif not dest.is_relative_to(ROOT):
            broken.append(f"{_rel(path)}:{number}: {target} (outside the repository)")
        elif path.is_relative_to(DOCS) and not dest.is_relative_to(DOCS):
            # The site holds docs/ only: name other files as `code`, or link them by URL.
            broken.append(f"{_rel(path)}:{number}: {target} (outside docs/, not on the site)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{_rel(path)}:{number}: {target} (no heading #{anchor})")
    assert not broken, "broken links:\n" + "\n".join(broken)


class _AnyTagLoader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:` tags: read them as None."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def nav_pages() -> list[str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(config["nav"])
    return [p for p in found if not re.match(r"^[a-z]+://", p)]


def test_the_site_builds_from_docs() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    assert config.get("docs_dir", "docs") == "docs"
    assert config.get("strict") is True


def test_nav_lists_every_page() -> None:
    listed = set(nav_pages())
    missing = [p.relative_to(DOCS).as_posix() for p in PAGES]
    missing = [p for p in missing if p not in listed]
    assert not missing, f"pages under docs/ missing from mkdocs.yml's nav: {missing}"


@pytest.mark.parametrize("page", nav_pages())
def test_nav_page_exists(page: str) -> None:
    assert (DOCS / page).is_file(), f"mkdocs.yml's nav names docs/{page}, which does not exist"


PACKAGES = sorted(
    p.parent.name
    for p in (ROOT / "src" / "lucidnet").glob("*/__init__.py")
    if "__all__" in p.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("package", ["lucidnet", *PACKAGES])
def test_api_reference_has_a_page_per_public_package(package: str) -> None:
    name = "lucidnet" if package == "lucidnet" else f"lucidnet.{package}"
    page = DOCS / "api" / f"{package}.md"
    assert page.is_file(), f"no API page docs/api/{package}.md for {name}"
    assert re.search(rf"^::: {re.escape(name)}\s*$", page.read_text(encoding="utf-8"), re.M), (
        f"docs/api/{package}.md does not render ::: {name}"
    )


def _notation_hook() -> Any:
    spec = importlib.util.spec_from_file_location("notation", DOCS / "_hooks" / "notation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("A[l] = g[l](Z[l])", "<p>A[l] = g[l](Z[l])</p>"),
        ("ŷ = g^[L](W x + b)", "<p>ŷ = g^[L](W x + b)</p>"),
        ("see [the lecture](MATH.md)", '<p>see <a href="MATH.md">the lecture</a></p>'),
        ("![every unit's A[l]](p.png)", '<p><img alt="every unit\'s A[l]" src="p.png" /></p>'),
        ("(:func:`fit_table`)", "<p>(<code>fit_table</code>)</p>"),
        (":class:`~lucidnet.core.Network`", "<p><code>Network</code></p>"),
    ],
)
def test_the_notation_hook_keeps_the_lectures_notation_and_real_links(
    source: str, html: str
) -> None:
    markdown = pytest.importorskip("markdown")
    md = markdown.Markdown(extensions=[_notation_hook().LectureNotation()])
    assert md.convert(source) == html
