"""The package version (its own module, so that importing it never imports anything else of mt)."""

__version__ = "0.1.0"
