"""The documentation site's link checker (scripts/check_site.py) finds what it claims to: a link
to a missing page, a missing #fragment, a missing image, a command without its section and a
public function without its API entry. (CI builds the real site with scripts/docs.sh.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_site", ROOT / "scripts" / "check_site.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_site"] = module
    spec.loader.exec_module(module)
    return module


def test_the_checker_reports_each_kind_of_broken_link(tmp_path: Path) -> None:
    site = tmp_path / "html"
    (site / "api").mkdir(parents=True)
    (site / "_static").mkdir()
    (site / "_static" / "macros.html").write_text('<a href="{{ pathto(x) }}">template</a>')
    (site / "index.html").write_text(
        '<h1 id="top">x</h1><a href="api/page.html#diplosim.results.simulate">ok</a>'
        '<a href="api/page.html#gone">bad fragment</a><a href="missing.html">bad page</a>'
        '<img src="_images/none.png"><a href="https://example.org/">external</a>'
        '<a href="#top">self</a>')
    (site / "api" / "page.html").write_text(
        '<dt id="diplosim.results.simulate">simulate</dt><a href="../index.html#top">up</a>')
    problems, external = checker().check(site)
    text = "\n".join(problems)
    assert "index.html: api/page.html#gone: no #gone in page.html" in text
    assert "index.html: missing.html: no such file" in text
    assert "index.html: _images/none.png: no such file" in text
    assert "reference/cli.html: no section for `diplosim run`" in text
    assert "api: no entry for diplosim.experiment.run_sweep" in text
    assert "api: no entry for diplosim.results.simulate\n" not in text + "\n"
    assert "macros" not in text  # theme templates are not pages
    assert "pathto" not in text
    assert external == ["https://example.org/"]


def test_a_missing_site_is_a_clear_error(tmp_path: Path, capsys: object) -> None:
    assert checker().main([str(tmp_path)]) == 2
