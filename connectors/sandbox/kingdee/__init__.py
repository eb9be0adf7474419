"""Kingdee K/3 Cloud (金蝶云星空) sandbox: the WebAPI's logins and ExecuteBillQuery on loopback.

README.md beside this file says how to start it and seed data and faults."""

from connectors.sandbox.kingdee.app import KingdeeSandbox, KingdeeSandboxOptions, KingdeeStats, error_envelope
from connectors.sandbox.kingdee.company import (
    KingdeeCompany,
    KingdeeSpec,
    LaterChanges,
    apply_later_changes,
    generate_kingdee_company,
    kingdee_from_demo,
)
from connectors.sandbox.kingdee.dataset import BillFacts, KingdeeDataset

__all__ = [
    "BillFacts",
    "KingdeeCompany",
    "KingdeeDataset",
    "KingdeeSandbox",
    "KingdeeSandboxOptions",
    "KingdeeSpec",
    "KingdeeStats",
    "LaterChanges",
    "apply_later_changes",
    "error_envelope",
    "generate_kingdee_company",
    "kingdee_from_demo",
]
