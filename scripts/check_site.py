"""Check the built documentation site: every link and image inside it reaches a page that exists
and, for links with a #fragment, an element with that id; every command has its section; every
public name of the library has its API entry.

    python scripts/check_site.py docs/_build/html      (scripts/docs.sh runs it after the build)

Links to other sites are not fetched (the build is offline); they are counted and listed with
--external. Exits 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# the packages whose public names (__all__) must each have an API entry
PUBLIC = ("diplosim.experiment", "diplosim.negotiation", "diplosim.analysis",
          "diplosim.plotting", "diplosim.scenario")
ALSO = ("diplosim.engine.model.DiplomacyModel", "diplosim.results.simulate",
        "diplosim.results.simulate_many", "diplosim.results.RunResult",
        "diplosim.io.examples.path", "diplosim.viz.explorer")
CONSTANTS = {"BACKENDS", "PROTOCOLS", "STRATEGIES", "OKABE_ITO", "RUN_KINDS", "SWEEP_KINDS"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("name"):
            self.ids.add(str(found["name"]))
        for key in ("href", "src"):
            value = found.get(key)
            if value and not (tag == "link" and found.get("rel") in ("preload", "prefetch")):
                self.links.append(value)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def check(site: Path) -> tuple[list[str], list[str]]:
    pages = {p: parse(p) for p in sorted(site.rglob("*.html"))
             if not {"_modules", "_static"} & set(p.relative_to(site).parts)}
    problems: list[str] = []
    external: list[str] = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto") or link.startswith("//"):
                external.append(link)
                continue
            if parts.scheme or link.startswith("javascript:"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site)}: {link}"
            if not target.exists():
                problems.append(f"{where}: no such file")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: no #{parts.fragment} in {target.name}")
    ids: dict[str, set[str]] = defaultdict(set)
    for path, page in pages.items():
        ids[str(path.relative_to(site))] |= page.ids
    every_id = set().union(*ids.values())
    from diplosim.cli import build_parser

    for action in build_parser()._actions:
        for name in getattr(action, "choices", None) or ():
            if f"diplosim-{name}" not in ids.get("reference/cli.html", set()):
                problems.append(f"reference/cli.html: no section for `diplosim {name}`")
    wanted = [f"{m}.{n}" for m in PUBLIC for n in importlib.import_module(m).__all__
              if n not in CONSTANTS]
    for name in [*wanted, *ALSO]:
        if name not in every_id:
            problems.append(f"api: no entry for {name}")
    return problems, external


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site (docs/_build/html)")
    parser.add_argument("--external", action="store_true", help="list links to other sites")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"{args.site}: no index.html (build the site first: scripts/docs.sh)",
              file=sys.stderr)
        return 2
    problems, external = check(args.site)
    for problem in problems:
        print(problem, file=sys.stderr)
    pages = sum(1 for _ in args.site.rglob("*.html"))
    print(f"{pages} pages: {len(problems)} problems; {len(set(external))} external links "
          "(not fetched)")
    if args.external:
        print("\n".join(sorted(set(external))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
