"""Exporting a signed bundle from the open contract draft."""
