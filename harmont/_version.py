"""The version of the harmont distribution, the one place it is written."""

__version__ = "0.1.0"
