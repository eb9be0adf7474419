"""Report tests: catalogue, formatting, o2c, ageing, renderers."""
