"""The ``diplosim`` command line.

The parser and the subcommands' arguments are in :mod:`diplosim.commands.parsers`; each handler
lives with the code it drives and is imported only when its subcommand runs. Bad input
(:class:`InputError`) prints its message and exits 2; any other error prints one line and exits 1.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from diplosim.commands.parsers import build_parser

# Start-up is kept to argparse and the parsers: ``diplosim --help`` runs within about 3x a bare
# ``python -c pass`` (benchmarks/README.md). Modules a command needs, down to the error type, are
# imported once the command runs.


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so cleanup runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        status: int = args.func(args)
        return status
    except BrokenPipeError:  # the reader went away (diplosim examples | head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        name = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
        hint = " (--resume finishes the sweep)" if args.command == "sweep" else ""
        print(f"interrupted ({name}): nothing half-written was left; what was complete is "
              f"kept{hint}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:
        from diplosim.io.errors import InputError
        from diplosim.io.extras import MissingExtra

        if isinstance(exc, InputError | MissingExtra):  # bad input, or an extra to install
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if os.environ.get("DIPLOSIM_DEBUG"):  # internal error: one line unless asked
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (set DIPLOSIM_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
