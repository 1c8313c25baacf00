"""The ``diplosim`` command line.

The parser and the subcommands' arguments are in :mod:`diplosim.commands.parsers`; each handler
lives with the code it drives and is imported only when its subcommand runs. Bad input
(:class:`InputError`) prints its message and exits 2; any other error prints one line and exits 1.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from diplosim.commands.parsers import build_parser

# Start-up is kept to argparse and the parsers: ``diplosim --help`` runs within about 3x a bare
# ``python -c pass`` (benchmarks/README.md). Modules a command needs, down to the error type, are
# imported once the command runs.


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so cleanup runs as for Ctrl-C."""


_MAIN_PID = os.getpid()


def _on_sigterm(signum: int, frame: object) -> None:
    if os.getpid() != _MAIN_PID:  # a forked worker (pyabc's) told to stop: no traceback
        os._exit(143)
    raise Terminated()


def _lost_interrupts(previous: Callable[[sys.UnraisableHookArgs], object]
                     ) -> Callable[[sys.UnraisableHookArgs], None]:
    """An unraisable-exception hook: an interrupt (Ctrl-C, or SIGTERM's :class:`Terminated`)
    raised while Python ran a finalizer — a ``__del__`` or a weak reference's callback — is
    ignored there, and the command would run on. The signal is sent again a moment later, from
    another thread, once the finalizer has returned, so it reaches the command as any other
    (lost again in another finalizer, it comes here again). Other exceptions go to
    ``previous``."""

    def hook(info: sys.UnraisableHookArgs) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt) and os.getpid() == _MAIN_PID:
            again = signal.SIGTERM if isinstance(info.exc_value, Terminated) else signal.SIGINT
            timer = threading.Timer(0.01, os.kill, (os.getpid(), again))
            timer.daemon = True
            timer.start()
            return
        previous(info)

    return hook


INTERRUPTED = "interrupted ({}): nothing half-written was left; what was complete is kept{}"


def _terminated_late(signum: int, frame: object) -> None:
    """SIGTERM once the command's work has ended, while Python shuts down (worker pools joined,
    files closed): everything was already written, so the same line and status as during the
    work, at once."""
    sys.stderr.write(INTERRUPTED.format("SIGTERM", "") + "\n")
    sys.stderr.flush()
    os._exit(143)


def entry() -> None:
    """The ``diplosim`` command: :func:`main`, with SIGTERM answered in every phase — during the
    work by :func:`main` (exit 143, resumable), before and after it by :func:`_terminated_late`.
    Once the work is done the process ends without Python's module teardown: that teardown
    (~0.1 s after a sweep) resets signal handlers to the default, and a SIGTERM in it ended the
    process by the signal, silently. Exit handlers still run, and every file was closed."""
    signal.signal(signal.SIGTERM, _terminated_late)
    try:
        status = main()
    except Terminated:  # arrived as main() was leaving its try (its finally, its handlers)
        sys.stderr.write(INTERRUPTED.format("SIGTERM", "") + "\n")
        status = 143
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    parser = build_parser()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    unraisable = sys.unraisablehook
    sys.unraisablehook = _lost_interrupts(unraisable)
    args = argparse.Namespace()
    try:
        args = parser.parse_args(argv)  # inside: an argument's type may read the file system
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        status: int = args.func(args)
        return status
    except BrokenPipeError:  # the reader went away (diplosim examples | head): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        name = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
        command = getattr(args, "command", "")
        hint = {"sweep": " (--resume finishes the sweep)",
                "calibrate": " (--resume continues the fit)"}.get(command, "")
        print(INTERRUPTED.format(name, hint), file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:
        from diplosim.io.errors import InputError
        from diplosim.io.extras import MissingExtra

        if isinstance(exc, InputError | MissingExtra):  # bad input, or an extra to install
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, OSError) and exc.filename is not None:  # a path the user gave
            where = str(exc.filename)
            where = where if len(where) <= 80 else where[:77] + "..."
            print(f"error: {where}: cannot use this path: {exc.strerror}", file=sys.stderr)
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
        sys.unraisablehook = unraisable


if __name__ == "__main__":  # pragma: no cover
    entry()
