"""Pieces of `python -m snnexp.report`: job folders (`jobs`), the table (`table`), the curves (`curves`)."""
