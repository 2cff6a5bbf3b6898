"""Untrusted text (narratives, comments, names, titles) shown inert: never HTML, never markdown.

`st.text` renders its argument as plain text, so links, images, HTML, LaTeX and emoji or colour
shortcodes all appear as the characters the user typed. Where Streamlit only offers markdown (a
label, a caption, an expander title), `escaped` backslash-escapes every ASCII punctuation mark,
which CommonMark turns back into the literal character, and spells out shortcode colons.
"""

from __future__ import annotations

import string

import streamlit as st

_ESCAPES = {ord(ch): "\\" + ch for ch in string.punctuation}
_ESCAPES[ord(":")] = "\u2236"  # RATIO looks like a colon and ends no :shortcode: or :colour[...]
_ESCAPES[ord("\n")] = " "


def escaped(value: object) -> str:
    """`value` as markdown source that renders as exactly its characters, on one line."""
    return str(value).translate(_ESCAPES)


def plain(value: object, *, empty: str = "—") -> None:
    """Show untrusted text as plain text; `empty` stands in for a missing value."""
    text = "" if value is None else str(value)
    st.text(text if text.strip() else empty)


def labelled(label: str, value: object, *, empty: str = "—") -> None:
    """A trusted label in bold above untrusted text shown plain."""
    st.markdown(f"**{label}**")
    plain(value, empty=empty)
