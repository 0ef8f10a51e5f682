"""`python -m erpload.cli`: the `erpload` program."""

from erpload.cli.main import main

main()
