"""Tests of hello.greet, run by the pipeline's test step with the standard library only."""

from __future__ import annotations

import unittest

from hello import greet


class GreetTest(unittest.TestCase):
    def test_greets_by_name(self) -> None:
        """A name is greeted as given."""
        self.assertEqual("hello, harmont!", greet("harmont"))

    def test_blank_name_greets_the_world(self) -> None:
        """Whitespace alone counts as no name."""
        self.assertEqual("hello, world!", greet("  "))


if __name__ == "__main__":
    unittest.main()
