"""Shared fixtures: one advisor (knowledge base + experta engine) for the whole run."""
from pathlib import Path

import pytest

from expert import Advisor

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def advisor():
    return Advisor()


@pytest.fixture(scope="session")
def kb(advisor):
    return advisor.kb


def shared_file(*parts):
    """A file of the project's shared/ folder (beside the repo), or skip when absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available beside this checkout")
    return path
