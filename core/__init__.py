"""Baton's headless core: every capability lives here and is usable without Qt."""

__version__ = "0.1.0"
