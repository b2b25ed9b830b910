"""The `hm` command-line interface: a thin Typer shell over the harmont library."""
