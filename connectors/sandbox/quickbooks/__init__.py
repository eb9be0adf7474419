"""QuickBooks Online sandbox: Intuit OAuth and the v3 accounting API emulated on loopback."""
