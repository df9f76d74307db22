"""The arrows domain."""
