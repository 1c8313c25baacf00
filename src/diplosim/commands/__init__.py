"""The command line: ``parsers`` (every subcommand's arguments), each subcommand's work (imported
only when it runs) and ``docgen`` (the generated file and command references).

The top layer: may import every other part; nothing imports it but ``diplosim.cli``.
"""
