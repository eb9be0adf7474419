# Convenience targets; the commands themselves are documented in README.md and docs/.
PYTHON ?= .venv/bin/python
LEDGERBRIDGE ?= .venv/bin/ledgerbridge

.PHONY: bench bench-quick demo

bench:  ## every benchmark, one table (docs/performance.md)
	$(PYTHON) -m bench

bench-quick:  ## the same at small sizes (a smoke run)
	$(PYTHON) -m bench --quick

demo:  ## the whole product on a generated company
	$(LEDGERBRIDGE) demo
