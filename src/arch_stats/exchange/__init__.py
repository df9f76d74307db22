"""CSV export and import of shots and sessions."""
