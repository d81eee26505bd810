"""Shared fixtures of the biology tests (models are compiled once per session)."""

from __future__ import annotations

import pytest

from tissue_sim.biology import CellModel, load_model
from tissue_sim.config import DEFAULT_CELL_MODELS


@pytest.fixture(scope="session")
def composed_model() -> CellModel:
    """The default composition (the three tissue-response models) as one system; the
    teaching models perfusion and afferent_gating have their own tests."""
    return load_model(list(DEFAULT_CELL_MODELS))


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
