"""diplosim — a negotiation simulation engine for multi-track diplomacy research, on Mesa."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``diplosim.__version__``: one source, the version in pyproject.toml as installed (looked
    up on first use: importlib.metadata costs ~40 ms, and ``diplosim --help`` should not pay)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("diplosim")
        except PackageNotFoundError:  # a source tree that was not installed
            return "0+unknown"
    raise AttributeError(f"module 'diplosim' has no attribute {name!r}")
