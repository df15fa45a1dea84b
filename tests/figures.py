"""Counts the hardening tests keep (hostile inputs tried, faults simulated, crashes, lost answers);
conftest.py prints them at the end of the run."""

from collections import Counter

FIGURES = Counter()
