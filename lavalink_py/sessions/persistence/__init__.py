"""Resumable sessions and their players kept in SQLite, so they survive a restart of the node."""
