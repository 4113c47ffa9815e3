"""The ``optbt`` command line: the typer app and one module per command. The only wing that
prints to the terminal or exits the process.

May import every other wing; nothing imports it (``optbt.cli.app:main`` is the console script).
"""
