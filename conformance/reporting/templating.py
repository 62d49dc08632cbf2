"""The pages' templates (``templates/``, package data): report.html, checks.html's pieces, matrix.html.

One jinja2 environment serves them all, autoescaped for HTML. Python computes what a page says; the
templates only lay it out. Two rules of layout hold in the ``.html`` templates:

- a line break followed by indentation is layout, not page text: it is dropped with the indentation,
  so markup nests on lines for reading while the page keeps its compact text (a line that starts at
  column 0 starts a new line of the page; a tag never spans lines);
- a value is escaped as ``html.escape`` escapes it (``&quot;``, ``&#x27;``), as the pages always were.

The style sheets and the script (``.css``, ``.js``) are included as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from html import escape
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.ext import Extension
from jinja2.nodes import EvalContext
from markupsafe import Markup

__all__ = ["macro", "render"]

_LAYOUT = re.compile(r"\n[ \t]+")


class _FoldIndentedLines(Extension):
    """Drops a line break and the indentation after it from an ``.html`` template's source."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _LAYOUT.sub("", source) if name and name.endswith(".html") else source


@pass_eval_context
def _escaped(context: EvalContext, value: Any) -> Any:
    if not context.autoescape or hasattr(value, "__html__"):
        return value
    return Markup(escape(str(value)))


def _fragment(value: Any) -> str:
    """``value`` quoted whole for a URL's fragment or path segment (``#LEADS-AUTH-001``)."""
    return quote(str(value), safe="")


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("conformance.reporting", "templates"),
        autoescape=select_autoescape(["html"]),
        finalize=_escaped,
        extensions=[_FoldIndentedLines],
        trim_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    environment.filters["fragment"] = _fragment
    return environment


def render(name: str, **context: Any) -> str:
    """The text of the template ``name`` with ``context``."""
    return _environment().get_template(name).render(**context)


def macro(name: str, macro_name: str) -> Callable[..., Markup]:
    """A macro of the template ``name``, to call from Python (it returns escaped markup)."""
    return getattr(_environment().get_template(name).module, macro_name)
