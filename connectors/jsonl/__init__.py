"""The generic JSON-lines connector: canonical-shaped records from files (imports, tests, benchmarks)."""

from connectors.jsonl.connector import KIND, JsonlConnector, JsonlStream, build

__all__ = ["KIND", "JsonlConnector", "JsonlStream", "build"]
