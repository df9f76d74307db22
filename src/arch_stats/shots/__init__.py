"""The shots domain."""
