"""Command-line interface (Typer). Commands only; the work happens in :mod:`lineage.api`."""
