"""sourcing: an explainable expert system for staff augmentation, managed services, BPO or stabilise first.

The repository keeps its three folders at the top; the wheel installs them under this one name:
``sourcing.expert`` (the library: ``from sourcing.expert import Advisor``), ``sourcing.knowledge``
(the shipped rules as data) and ``sourcing.cli`` (the ``sourcing`` command). This folder holds only
the package's own root, so that ``python -m sourcing`` works.
"""
