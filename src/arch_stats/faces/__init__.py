"""The faces domain."""
