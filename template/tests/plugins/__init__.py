"""Fixtures of one feature each, loaded by tests/conftest.py (`pytest_plugins`)."""
