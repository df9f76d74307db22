"""Live updates: one LISTEN connection per process, fanned out to WebSocket subscribers."""
