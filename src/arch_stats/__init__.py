"""Arch Stats: a self-hosted archery performance tracker."""

__version__ = "0.1.0"
