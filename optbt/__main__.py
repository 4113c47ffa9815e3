"""`python -m optbt` is the `optbt` command."""

from optbt.cli.app import main

if __name__ == "__main__":
    main()
