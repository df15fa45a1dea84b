"""The ``sourcing`` command line: thin Click commands over the ``expert`` API."""
