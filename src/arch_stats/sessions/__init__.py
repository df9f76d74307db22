"""The sessions domain."""
