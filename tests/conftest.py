"""Shared fixtures: one loaded default model for the whole test session."""

import pytest

import rightsmap


@pytest.fixture(scope="session")
def tagger() -> rightsmap.Tagger:
    return rightsmap.load()


@pytest.fixture(scope="session")
def norms() -> dict[str, rightsmap.Norm]:
    return rightsmap.load_norms()
