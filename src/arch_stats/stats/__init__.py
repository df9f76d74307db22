"""Analysis: session statistics, history and trends, per-arrow insight, handicaps."""
