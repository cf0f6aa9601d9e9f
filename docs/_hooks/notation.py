"""MkDocs hook: the lecture's notation is text, not a Markdown link; Sphinx roles are code.

The lecture writes an activation applied to a layer as ``g[l](Z[l])`` and ``g^[L](W x + b)``.
Markdown reads ``[l](Z[l])`` as a link to a page named ``Z[l]``: in MATH.md's prose and in
the docstrings that the API reference renders. A Markdown link never starts straight after
a letter, a digit, ``_``, ``^`` or ``]`` (``see [MATH.md](MATH.md)``, ``([§1](#1-...))``),
so a ``[`` in that position whose bracket closes into ``(`` is kept as the character it
is: ``g[l](Z[l])`` renders as written and real links are untouched. Code spans are parsed
before this rule and keep their text as always.

The docstrings are numpydoc and cite names with Sphinx roles (``:func:`fit_table` ``,
``:class:`~lucidnet.core.Network` ``): the API reference shows the name as code, without
the role (and, after ``~``, the last part of the dotted name only, as Sphinx does).
"""

from __future__ import annotations

import xml.etree.ElementTree as etree
from re import Match
from typing import Any

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

# Inline patterns by priority: backticks 190, backslash escapes 180, links 160.
_PRIORITY = 170
_ROLE_PRIORITY = 195
# "[" after a symbol, and whose bracket closes into "(": g[l](Z[l]), g^[L](W x + b). A
# bracket that does not (A[l] inside an image's alt text) is left to the link pattern,
# which matches brackets in pairs.
_INDEX_BRACKET = r"(?<=[\w^\]])\[(?=[^\[\]\n]*\]\()"
_ROLE = r":(?:py:)?(?:func|class|meth|attr|mod|data|obj|exc|const|ref):`(~?)([^`]+)`"


class _IndexBracket(InlineProcessor):
    """``[`` right after a symbol (``g[l]``, ``W^[l]``, ``A[L][i]``): plain text."""

    def handleMatch(
        self, m: Match[str], data: str
    ) -> tuple[str | etree.Element | None, int | None, int | None]:
        return "[", m.start(0), m.end(0)


class _SphinxRole(InlineProcessor):
    """``:func:`name` `` as the code span ``name``; ``:class:`~a.b.C` `` as ``C``."""

    def handleMatch(
        self, m: Match[str], data: str
    ) -> tuple[str | etree.Element | None, int | None, int | None]:
        tilde, target = m.group(1), m.group(2).strip()
        code = etree.Element("code")
        code.text = AtomicString(target.rsplit(".", 1)[-1] if tilde else target)
        return code, m.start(0), m.end(0)


class LectureNotation(Extension):
    """Keep ``g[l](Z[l])`` as text in every page and docstring."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(
            _IndexBracket(_INDEX_BRACKET, md), "lecture_index_bracket", _PRIORITY
        )
        md.inlinePatterns.register(_SphinxRole(_ROLE, md), "sphinx_role", _ROLE_PRIORITY)


def on_config(config: Any) -> Any:
    """Add the extension to the site's Markdown (pages and mkdocstrings' docstrings)."""
    config.markdown_extensions.append(LectureNotation())
    return config
