"""API benchmark: Arch Stats under load next to a bare asyncpg `SELECT 1` ceiling."""
