"""The web UI: an HTML shell and plain ES modules, served under /app (nothing is built)."""
