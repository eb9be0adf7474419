"""QuickBooks Online (connector kind `quickbooks`): normalizers from the vendor's documented shapes."""
