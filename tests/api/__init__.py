"""Tests of the REST API v1 through Flask's test client, on SQLite and PostgreSQL."""
