"""Package attributes served on first use: the defining module's value, or AttributeError."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import harmont
import harmont._orchestrator
import harmont.protocol
from harmont._lazy import lazy_getattr
from harmont._version import __version__

if TYPE_CHECKING:
    from types import ModuleType


class TestLazyGetattr:
    def test_a_listed_name_is_read_from_its_module(self) -> None:
        """A name of the table resolves to the attribute of the module it maps to."""
        lookup = lazy_getattr("pkg", {"__version__": "harmont._version"})

        assert __version__ == lookup("__version__")

    def test_an_unlisted_name_is_an_attribute_error_naming_package_and_name(self) -> None:
        """A name outside the table raises AttributeError as a module's own lookup would."""
        lookup = lazy_getattr("pkg", {})

        with pytest.raises(AttributeError) as info:
            lookup("nope")

        assert "module 'pkg' has no attribute 'nope'" == str(info.value)

    @pytest.mark.parametrize("package", [harmont, harmont._orchestrator, harmont.protocol])
    def test_every_package_front_names_itself_in_the_error(self, package: ModuleType) -> None:
        """The three lazy package fronts say which package lacks the name."""
        with pytest.raises(AttributeError) as info:
            _ = package.nope

        assert f"module '{package.__name__}' has no attribute 'nope'" == str(info.value)

    def test_the_version_is_served(self) -> None:
        """`harmont.__version__` is the version module's."""
        assert __version__ == harmont.__version__
