"""What the checks share, one module per concept."""
