"""Step keys: label slugs, the hash fallback and how collisions are settled."""

from __future__ import annotations

import hashlib

import pytest

import harmont as hm
from harmont._dsl._keys import assign_keys, hash_key, slugify


def _keys(*leaves: hm.Step) -> list[str]:
    document = hm.pipeline(list(leaves))
    return [node["step"]["key"] for node in document["graph"]["nodes"]]


class TestSlugify:
    @pytest.mark.parametrize(
        ("label", "slug"),
        [
            ("Build", "build"),
            ("Run the  tests!", "run-the-tests"),
            (":rocket: Ship :tada:", "ship"),
            ("--edge--", "edge"),
            ("Café Build", "caf-build"),
            ("构建", ""),
            ("v1.2_rc", "v1-2-rc"),
            (":not an emoji:", "not-an-emoji"),
        ],
    )
    def test_slug(self, label: str, slug: str) -> None:
        """Labels lower-case, lose emoji codes and collapse other characters into dashes."""
        assert slug == slugify(label)


class TestHashKey:
    def test_formula(self) -> None:
        """The fallback key is 12 hex digits of sha256(parent NUL cmd NUL position)."""
        expected = hashlib.sha256(b"parent\x00make\x003").hexdigest()[:12]

        assert expected == hash_key("parent", "make", 3)


class TestAssignKeys:
    def test_unique_label_slug_is_the_key(self) -> None:
        """A label whose slug no other step shares becomes the key."""
        assert ["build", "test"] == _keys(hm.sh("make", label="Build").sh("make t", label="Test"))

    def test_shared_slug_goes_to_neither(self) -> None:
        """Two labels with one slug both fall back to hash keys."""
        first, second = hm.sh("make a", label="Build"), hm.sh("make b", label="build")

        assert [hash_key("", "make a", 0), hash_key("", "make b", 1)] == _keys(first, second)

    def test_explicit_key_reserves_its_value(self) -> None:
        """A label slugging to another step's explicit key falls back to a hash."""
        labelled, explicit = hm.sh("make a", label="Deploy"), hm.sh("make b", key="deploy")

        assert [hash_key("", "make a", 0), "deploy"] == _keys(labelled, explicit)

    def test_explicit_key_still_claims_its_label(self) -> None:
        """A step with an explicit key keeps a peer from taking the slug of its label."""
        claimed, peer = hm.sh("make a", label="Pack", key="p"), hm.sh("make b", label="pack")

        assert ["p", hash_key("", "make b", 1)] == _keys(claimed, peer)

    def test_hash_uses_the_parent_key(self) -> None:
        """A hashed step's key folds in its command parent's key."""
        child = hm.sh("make", label="root").sh("make check")

        assert ["root", hash_key("root", "make check", 1)] == _keys(child)

    def test_hash_after_a_fork_has_no_parent_key(self) -> None:
        """A step chained from a fork point hashes with an empty parent key, as 0.0.9 does."""
        child = hm.sh("make", label="root").fork().sh("make check")

        assert ["root", hash_key("", "make check", 1)] == _keys(child)

    def test_equal_steps_keep_separate_keys(self) -> None:
        """Two equal steps built apart are two nodes, told apart by position."""
        first, second = hm.sh("make"), hm.sh("make")
        keys = assign_keys([first, second])

        assert (True, 2) == (first == second, len(set(keys.values())))
