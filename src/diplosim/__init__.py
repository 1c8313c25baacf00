"""diplosim — a negotiation simulation engine for multi-track diplomacy research, on Mesa."""

from __future__ import annotations

__version__ = "0.1.0"
