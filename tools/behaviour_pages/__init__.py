"""docs/behaviours/ from the scenarios: ``python -m tools.behaviour_pages`` (a maintainer's tool, not shipped)."""
