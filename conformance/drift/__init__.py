"""The fragment held against Merge's own definition."""
