"""Accounts: archers, login tokens and device tokens."""
