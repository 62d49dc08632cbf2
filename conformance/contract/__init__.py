"""The contract a target is held to: the fragment, the catalog, the tolerances, formats and the operations."""
