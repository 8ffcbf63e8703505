"""Shared fixtures: one loaded default model for the whole test session.

No UPR index is installed for the tests (``RIGHTSMAP_UPR_INDEX`` points at an empty folder), so a
developer's own index never changes what the tests see.
"""

import os
import tempfile

import pytest

import rightsmap

os.environ["RIGHTSMAP_UPR_INDEX"] = os.path.join(tempfile.mkdtemp(prefix="rightsmap-no-index-"), "upr-index")


@pytest.fixture(scope="session")
def tagger() -> rightsmap.Tagger:
    return rightsmap.load()


@pytest.fixture(scope="session")
def norms() -> dict[str, rightsmap.Norm]:
    return rightsmap.load_norms()
