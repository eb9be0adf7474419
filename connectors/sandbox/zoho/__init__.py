"""Zoho sandbox: Zoho Accounts + CRM v8 + Books v3 emulated on loopback from a canonical dataset."""

from connectors.sandbox.zoho.app import ZohoSandbox, ZohoSandboxOptions
from connectors.sandbox.zoho.dataset import BOOKS_COLLECTIONS, CRM_MODULES, Deletion, ZohoDataset

__all__ = ["BOOKS_COLLECTIONS", "CRM_MODULES", "Deletion", "ZohoDataset", "ZohoSandbox", "ZohoSandboxOptions"]
