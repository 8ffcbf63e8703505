"""Shared fixtures: one loaded default model for the whole test session."""

from pathlib import Path

import pytest

import rightsmap

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tagger() -> rightsmap.Tagger:
    return rightsmap.load()


@pytest.fixture(scope="session")
def norms() -> dict[str, rightsmap.Norm]:
    return rightsmap.load_norms()
