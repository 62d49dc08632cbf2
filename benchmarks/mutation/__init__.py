"""The mutation score's parts (``benchmarks/mutation_score.py`` is the command)."""
