"""Helpers of the API fuzz (tests/test_fuzz.py)."""
