"""Shared plumbing: settings, database, errors, responses, logging, migrations."""
