"""The installed package: imported from site-packages with its own copy of
the C library, of the C ABI version it was written for."""

import os

import pytest

import relaxcat
from relaxcat._library import ABI_VERSION, lib


@pytest.mark.skipif("RELAXCAT_LIB" in os.environ, reason="testing a build tree through RELAXCAT_LIB")
def test_imported_from_the_installed_package():
    here = os.path.dirname(relaxcat.__file__)
    assert "site-packages" in here, here
    assert os.path.dirname(relaxcat.library_path) == here
    assert os.path.basename(relaxcat.library_path).startswith("_librelaxcat")


def test_versions():
    assert lib.abi_version() == ABI_VERSION
    assert relaxcat.library_version == relaxcat.__version__


def test_error_hierarchy():
    errors = [getattr(relaxcat, n) for n in relaxcat.__all__ if n.endswith("Error")]
    assert len(errors) == 13
    statuses = set()
    for e in errors:
        assert issubclass(e, relaxcat.Error) and issubclass(e, ValueError)
        statuses.add(e.status)
    assert statuses == set(range(1, 13)) | {-1}
    assert issubclass(relaxcat.OutOfMemoryError, MemoryError)
