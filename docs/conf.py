"""Sphinx configuration: ``python3 tasks.py docs`` builds the site into build/docs."""

from __future__ import annotations

import zmtp_core

project = "zmtp"
author = "the zmtp developers"
copyright = "2026, the zmtp developers"
release = version = zmtp_core.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.intersphinx"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
# The guides include README.md's sections, whose subsections sit one level
# deeper than the page's title allows for; and a type hint "type" finds each
# backend's Socket.type, a name we cannot change (pyzmq's).
suppress_warnings = ["myst.header", "ref.python"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
intersphinx_mapping: dict[str, tuple[str, None]] = {}

html_theme = "alabaster"
html_title = f"zmtp {release}"
html_theme_options = {"description": "ZeroMQ in pure Python", "fixed_sidebar": True}
