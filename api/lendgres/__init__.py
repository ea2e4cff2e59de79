"""Lendgres: a Postgres-native lending engine that AI agents drive over HTTP."""

__version__ = "0.1.0"
