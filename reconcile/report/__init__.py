"""Report rendering: the neutral report model, the zh/en catalogue, and table/CSV/XLSX/HTML/JSON output."""
