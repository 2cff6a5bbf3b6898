"""Is hostile text shown inert on a page? One check for every element Streamlit renders as markdown.

Streamlit renders as markdown (or worse, HTML) the body of `st.markdown`, `st.caption`, `st.latex`,
titles and headers, alerts, toasts, `st.html`, metric labels and values, progress and spinner texts,
the labels and help of every widget, page link, tab, expander, popover and dialog, and the
options of radios, pills, segmented controls and select sliders. It shows as typed the body of
`st.text`, `st.code` and `st.json`, dataframe cells, select box options and widget values.

`raw_markup(app)` walks every element of a run (main area, sidebar, toasts), reads those markdown
sources from the elements' protobuf messages and returns each place where a fragment of
`HOSTILE` appears unescaped: text passed through `ui.text.escaped` has every ASCII punctuation
backslash-escaped (and `:` spelled as `∶`), so no fragment survives once escaped characters are
set aside. `shown(app)` is every text a user can read, to prove the hostile text is on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from tests.support.app_fixtures import unescaped

# Each part is a different way to break out of plain text; the words are unique so a hit is ours.
HOSTILE = (
    "# H3ad <script>alert(1)</script><img src=x onerror=alert(1)> **b0ld** _1t4l_ [l1nk](javascript:alert(1)) "
    "![p1x](http://e.x/p.png) $\\LaTeX$ :red[r3d] <style>*{}</style> `c0de` ~~s7~~"
)
# For fields of at most 64 characters (regions).
SHORT_HOSTILE = "**b0ld** :red[r3d] `c0de` <img src=x> $\\LaTeX$"
FRAGMENTS = (
    "# H3ad",
    "<script>",
    "<img",
    "**b0ld**",
    "_1t4l_",
    "[l1nk](",
    "](javascript:",
    "![p1x](",
    "$\\LaTeX$",
    ":red[",
    "<style>",
    "`c0de`",
    "~~s7~~",
)


def hostile(tag: str, *, short: bool = False) -> str:
    """The hostile text marked with `tag`, so that a page's text tells which field it shows."""
    return f"{SHORT_HOSTILE if short else HOSTILE} 〔{tag}〕"


_MARKDOWN_FIELDS = {"label", "body", "help", "title", "text", "delta", "delta_description", "name"}
_MARKDOWN_OPTIONS = {"Radio", "Slider", "ButtonGroup", "MenuButton"}  # their options render markdown
_PLAIN_BODIES = {"Text", "Code", "Json"}
_ESCAPED = re.compile(r"\\.")


@dataclass(frozen=True)
class Hit:
    element: str  # the protobuf message, e.g. "Markdown", "Button", "Block.expandable"
    field: str
    source: str
    fragment: str


def nodes(app) -> Iterator[object]:
    def below(node) -> Iterator[object]:
        for child in getattr(node, "children", {}).values():
            yield child
            yield from below(child)

    for root in app._tree.children.values():  # the main area, the sidebar and events (toasts)
        yield root
        yield from below(root)


def _message(node) -> tuple[str, object] | None:
    proto = getattr(node, "proto", None)
    if proto is None or not hasattr(proto, "DESCRIPTOR"):
        return None
    name = proto.DESCRIPTOR.name
    if name == "Block":
        kind = proto.WhichOneof("type")
        return (f"Block.{kind}", getattr(proto, kind)) if kind else None
    return name, proto


def _strings(message, prefix: str = "") -> Iterator[tuple[str, str]]:
    for descriptor, value in message.ListFields():
        name = prefix + descriptor.name
        single = isinstance(value, str | bytes | int | float | bool) or hasattr(value, "ListFields")
        for item in [value] if single else value:
            if isinstance(item, str):
                yield name, item
            elif hasattr(item, "ListFields"):
                yield from _strings(item, name + ".")


def markdown_sources(app) -> list[tuple[str, str, str]]:
    """(element, field, source) for every string Streamlit renders as markdown or HTML in this run."""
    found = []
    for node in nodes(app):
        message = _message(node)
        if message is None:
            continue
        element, proto = message
        for field, value in _strings(proto):
            last = field.rsplit(".", 1)[-1]
            if element == "Html" and field == "body":
                markdown = True
            elif (element in _PLAIN_BODIES and field == "body") or element in ("Code", "Json"):
                markdown = False
            elif field.startswith("options"):
                markdown = element in _MARKDOWN_OPTIONS and last in ("options", "content", "selected_content")
            elif field == "captions":
                markdown = element == "Radio"
            else:
                markdown = last in _MARKDOWN_FIELDS and "." not in field
            if markdown and value:
                found.append((element, field, value))
    return found


def raw_markup(app) -> list[Hit]:
    """Every place where a fragment of the hostile text reaches markdown unescaped."""
    hits = []
    for element, field, source in markdown_sources(app):
        bare = _ESCAPED.sub("\x00", source)
        hits += [Hit(element, field, source, fragment) for fragment in FRAGMENTS if fragment in bare]
    return hits


def shown(app) -> list[str]:
    """Every text a user reads on the page: markdown as rendered (escapes removed), plain texts,
    widget labels and values, select box options, dataframe cells."""
    texts = [unescaped(source) for _, _, source in markdown_sources(app)]
    for node in nodes(app):
        message = _message(node)
        if message is not None:
            element, proto = message
            if element in _PLAIN_BODIES:
                texts += [value for _, value in _strings(proto)]
            elif element in ("Selectbox", "Multiselect", "TextInput", "TextArea"):
                texts += [value for field, value in _strings(proto) if field.startswith(("options", "value"))]
        value = _value(node)
        if isinstance(value, pd.DataFrame):
            texts += [str(v) for v in value.astype(str).to_numpy().ravel()]
            texts += [str(c) for c in value.columns]
        elif isinstance(value, str):
            texts.append(value)
    return texts


def _value(node) -> object:
    if type(node).__name__ not in ("Dataframe", "TextInput", "TextArea", "Text", "Code", "Json"):
        return None
    try:
        return node.value
    except Exception:  # a widget without a value in this run
        return None


def visible(app, text: str) -> bool:
    """Whether `text` can be read somewhere on the page, exactly as typed."""
    return any(text in value for value in shown(app))
