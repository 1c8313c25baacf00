"""The edge with the user's files and terminal: bounded YAML reading (``yamlio``), validation
against the schemas, dotted-path overrides, located input errors (``errors``), the bundled example
library, safe writing of results folders (``outputs``), progress lines, and the names of choices
the command line shares with the library (``options``).

The bottom layer: imports nothing else of diplosim (``examples`` and ``yamlio`` only each other).
"""
