"""Sphinx configuration of diplosim's documentation site (scripts/docs.sh builds it)."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the API pages document this source tree
os.environ.setdefault("MPLBACKEND", "Agg")

project = "diplosim"
author = "The diplosim developers"
copyright = "2026, the diplosim developers (MIT); U.S. mission data by Kenkel (CC-BY 4.0)"
release = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # Google-style sections (Args:, Returns:) in docstrings
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "dollarmath", "deflist"]
myst_heading_anchors = 4  # [text](page.md#a-heading) links resolve, and are checked
suppress_warnings: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_preserve_defaults = True
nitpicky = False  # third-party types cannot be resolved offline (no intersphinx inventories)

html_theme = "pydata_sphinx_theme"
html_title = f"diplosim {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False


def _skip_parameters_alias(app: object, what: str, name: str, obj: object, skip: bool,
                           options: object) -> bool | None:
    """A plug-in interface's ``Parameters`` class attribute names diplosim.plugins.Parameters,
    documented once on its own page: skip it as a member of the classes that point to it."""
    return True if what == "class" and name == "Parameters" else None


def setup(app: object) -> None:
    app.connect("autodoc-skip-member", _skip_parameters_alias)  # type: ignore[attr-defined]
