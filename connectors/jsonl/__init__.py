"""The generic JSON-lines connector: canonical-shaped records from files (imports, tests, benchmarks)."""

from connectors.jsonl.connector import JsonlConnector, JsonlStream, build

__all__ = ["JsonlConnector", "JsonlStream", "build"]
