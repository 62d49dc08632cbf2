"""One run: the options, the preflight, the runner, the pytest plugin and its pytest-html hooks."""
