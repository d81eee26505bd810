"""Shared fixtures of the biology tests (models are compiled once per session)."""

from __future__ import annotations

import pytest

from tissue_sim.biology import CellModel, list_models, load_model


@pytest.fixture(scope="session")
def composed_model() -> CellModel:
    """The three shipped models composed into one system."""
    return load_model(list_models())


@pytest.fixture(scope="session")
def fibroblast_model() -> CellModel:
    """The fibroblast mechanotransduction model alone."""
    return load_model(["fibroblast_mechanotransduction"])


@pytest.fixture(scope="session")
def macrophage_model() -> CellModel:
    """The macrophage polarisation model alone."""
    return load_model(["macrophage_polarisation"])


@pytest.fixture(scope="session")
def tgfb1_model() -> CellModel:
    """The TGF-β1 and fibrosis model alone."""
    return load_model(["tgfb1_fibrosis"])
