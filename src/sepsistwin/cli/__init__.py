"""Command-line interface (Typer). Holds no domain logic: each command calls the API."""
