"""The checks, one module per concern. Each check names the requirement IDs it verifies."""
