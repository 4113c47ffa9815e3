"""`python -m optbt` is the `optbt` command."""

from optbt.cli import main

main()
