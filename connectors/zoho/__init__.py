"""Zoho CRM v8 and Zoho Books v3 connectors on a small requests-based client (see ADR 0001)."""
