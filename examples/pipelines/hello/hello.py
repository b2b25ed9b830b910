"""A greeting, the smallest module worth a pipeline."""

from __future__ import annotations

import sys


def greet(name: str = "world") -> str:
    """Return the greeting for ``name``; a blank name greets the world."""
    return f"hello, {name.strip() or 'world'}!"


if __name__ == "__main__":
    print(greet(" ".join(sys.argv[1:])))
