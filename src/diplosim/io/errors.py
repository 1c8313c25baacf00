"""Errors raised for bad user input.

Every problem with a file a user wrote (scenario, experiment, negotiation session) is raised as an
:class:`InputError`: it names the file, the line, the dotted path of the field, the value and what
is allowed. The command line prints it without a traceback and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input document."""

    message: str
    path: str = ""
    value: object = None
    allowed: str = ""
    line: int | None = None
    has_value: bool = False
    column: int | None = None

    def render(self, source: str | None) -> str:
        where = source or "<input>"
        if self.line is not None:
            where += f", line {self.line}"
        head = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        if self.line is not None and self.column is not None:
            head += f" (column {self.column})"
        parts = [head]
        if self.has_value:
            parts.append(f"  value: {_short(self.value)}")
        if self.allowed:
            parts.append(f"  allowed: {self.allowed}")
        return "\n".join(parts)


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class InputError(Exception):
    """A user's input is invalid. ``str(err)`` is the message to show, one block per problem."""

    problems: list[Problem]
    source: str | None = None
    kind: str = field(default="input")

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(p.render(self.source) for p in self.problems)

    @classmethod
    def single(
        cls,
        message: str,
        *,
        source: str | None = None,
        path: str = "",
        line: int | None = None,
        column: int | None = None,
        allowed: str = "",
        **value: object,
    ) -> InputError:
        """Build an error with one problem; pass ``value=...`` to show the offending value."""
        has_value = "value" in value
        return cls(
            [
                Problem(
                    message,
                    path=path,
                    value=value.get("value"),
                    allowed=allowed,
                    line=line,
                    has_value=has_value,
                    column=column,
                )
            ],
            source=source,
        )
