"""Tests of hello.greet, run by the pipeline's test step with the standard library only."""

from __future__ import annotations

import unittest

from hello import greet


class GreetTest(unittest.TestCase):
    def test_greets_by_name(self) -> None:
        """A name is greeted as given."""
        assert greet("harmont") == "hello, harmont!"

    def test_blank_name_greets_the_world(self) -> None:
        """Whitespace alone counts as no name."""
        assert greet("  ") == "hello, world!"


if __name__ == "__main__":
    unittest.main()
