"""Fakes of external services that the tests run for real on 127.0.0.1."""
