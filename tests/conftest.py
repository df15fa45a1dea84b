"""Shared fixtures: one advisor (knowledge base + experta engine) for the whole run."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from sourcing.expert import Advisor

REPO = Path(__file__).resolve().parent.parent

# Hermetic runs: the knowledge-base cache (expert/cache.py) of this run only, also for the commands run in
# subprocesses; never the user's own.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="sourcing-tests-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)
SHARED = REPO.parent / "shared"

# CI explores the same generated inputs every run, so a red build is reproducible.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


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


def pytest_terminal_summary(terminalreporter):
    """Print the hardening figures when the hardening tests ran."""
    from figures import FIGURES

    if FIGURES:
        terminalreporter.write_sep("-", "hardening")
        terminalreporter.write_line(
            f"{FIGURES['hostile']:,} hostile inputs tried ({FIGURES['refused']:,} refused with one clear line, "
            f"{FIGURES['accepted']:,} gave a result); {FIGURES['faults']:,} faults simulated; "
            f"{FIGURES['crashes']} crashes; {FIGURES['lost']} answers lost"
        )
