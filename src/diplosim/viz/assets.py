"""The browser app's JavaScript and CSS, for pages that work with no internet.

Solara's page asks for a few npm packages from a CDN on first load and serves them from a local
cache folder if they are there (``solara.server.settings.assets.proxy_cache_dir``, by default
``<environment>/share/solara/cdn``, laid out ``<package>@<version>/...``). ``fill_cache`` puts
them there with ``npm pack`` from the npm registry, once, at set-up
(``python -m diplosim.viz.assets``, run by ``scripts/bootstrap.sh``). The versions follow
solara's page template and must be checked when solara changes (``tests/viz``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: What solara 1.64's page template and widgets load from the CDN.
PACKAGES = (
    ("@widgetti/solara-vuetify-app", "10.1.1"),
    ("requirejs", "2.3.6"),
    ("font-awesome", "4.5.0"),
    ("@widgetti/vue-grid-layout", "2.3.13-alpha.2"),
)


def cache_dir() -> Path:
    """Where solara looks for cached CDN files in this environment."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing(folder: Path | None = None) -> list[str]:
    """Packages not yet in the cache, as ``name@version``."""
    folder = folder or cache_dir()
    return [f"{name}@{version}" for name, version in PACKAGES
            if not (folder / f"{name}@{version}" / "package.json").is_file()]


def fill_cache(folder: Path | None = None, npm: str = "npm") -> list[str]:
    """Fetch the missing packages with ``npm pack`` and unpack each into the cache; return
    what was added. Raises RuntimeError when npm is absent or a package cannot be fetched."""
    folder = folder or cache_dir()
    todo = missing(folder)
    if not todo:
        return []
    exe = shutil.which(npm)
    if exe is None:
        raise RuntimeError("npm is not installed: the browser app's assets cannot be fetched "
                           "(install Node.js and npm, or use the app online)")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec in todo:
            done = subprocess.run([exe, "pack", spec, "--silent", "--pack-destination", tmp],
                                  capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                raise RuntimeError(f"npm pack {spec} failed: {done.stderr.strip()[-500:]}")
            tarball = Path(tmp) / done.stdout.strip().splitlines()[-1]
            target = folder / spec
            staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=folder))
            try:
                with tarfile.open(tarball) as tar:
                    tar.extractall(staging, filter="data")
                if target.exists():
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)  # @scope/ folders
                (staging / "package").rename(target)  # npm packs everything under package/
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return todo


def main() -> int:
    try:
        added = fill_cache()
    except RuntimeError as exc:
        print(f"warning: {exc}", file=sys.stderr)
        return 1
    folder = cache_dir()
    print(f"browser app assets in {folder}: " + (", ".join(added) + " added" if added
                                                   else "all present"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
