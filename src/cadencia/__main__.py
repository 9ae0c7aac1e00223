"""`python -m cadencia` runs the CLI."""

from cadencia.cli import main

main()
