"""
The entry points discovery keeps in the capability index: never stale, never fatal.

In-process, on a temporary site directory, so a test can install a distribution at the
exact moment a real `pip install` could finish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harmont._plugins import _capability_index as index
from harmont._plugins import _discovery
from harmont._plugins._discovery import entry_point_candidates
from tests.plugins.conftest import PLUGIN_SOURCE, write_dist

if TYPE_CHECKING:
    from tests.plugins.conftest import MakeDist


def _third_party() -> list[str]:
    return [c.name for c in entry_point_candidates() if not c.builtin]


def test_a_distribution_installed_while_entry_points_are_read_is_seen_next_time(
    hm_home: Path, site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They are stored under what was installed before reading them, not after."""
    read = _discovery._installed_entry_points

    def read_then_install() -> list[index.EntryPointRow]:
        rows = read()
        write_dist(site_dir, "late", PLUGIN_SOURCE.format(name="late", runner="l", verb="l"))
        return rows

    monkeypatch.setattr(_discovery, "_installed_entry_points", read_then_install)
    first = _third_party()
    monkeypatch.setattr(_discovery, "_installed_entry_points", read)

    assert ([], ["late"]) == (first, _third_party())


#: Valid JSON of the index's format but another shape; FINGERPRINT is the current one.
_WRONG_SHAPES = {
    "entry points a string": {"entry_points": "x"},
    "rows a string": {"entry_points": {"fingerprint": "FINGERPRINT", "rows": "abcd"}},
    "no rows": {"entry_points": {"fingerprint": "FINGERPRINT"}},
    "a short row": {"entry_points": {"fingerprint": "FINGERPRINT", "rows": [["a", "m:p"]]}},
    "a name not a string": {
        "entry_points": {"fingerprint": "FINGERPRINT", "rows": [[1, "m:p", None, None]]}
    },
    "help alone": {"help": {}},
    "native dirs a number": {"help": {}, "native_dirs": 5, "files": [], "fingerprint": ""},
}


@pytest.mark.parametrize("document", _WRONG_SHAPES.values(), ids=list(_WRONG_SHAPES))
def test_an_index_of_the_wrong_shape_is_a_miss_and_is_rewritten(
    hm_home: Path, make_dist: MakeDist, document: dict[str, Any]
) -> None:
    make_dist("alpha", PLUGIN_SOURCE.format(name="alpha", runner="a", verb="a"))
    fingerprint = index.distributions_fingerprint()
    text = json.dumps({"format": 2, **document}).replace(
        "FINGERPRINT", json.dumps(fingerprint)[1:-1]
    )
    path = Path(index.index_path())
    path.parent.mkdir(parents=True)
    path.write_text(text)

    misses = (index.lookup_entry_points(fingerprint), index.lookup_help([]))
    listed = _third_party()
    index.store_help([], "help\n", stamp=index.help_stamp([]), files=[])

    assert ((None, None), ["alpha"]) == (misses, listed)
    stored = [row[0] for row in index.lookup_entry_points(fingerprint) or []]
    assert ("alpha" in stored, index.lookup_help([])) == (True, "help\n")
