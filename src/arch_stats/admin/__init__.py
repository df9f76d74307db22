"""The instance administrator: accounts (list, disable, re-enable) and password reset links."""
