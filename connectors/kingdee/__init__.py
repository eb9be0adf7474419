"""Kingdee K/3 Cloud (金蝶云星空) WebAPI connector (kind `kingdee`): docs/connectors/kingdee.md."""

from connectors.kingdee.connector import KIND

__all__ = ["KIND"]
