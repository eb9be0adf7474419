"""The Fxiaoke (纷享销客) Open API sandbox: a canonical truth rendered as vendor JSON on 127.0.0.1.

Build a `FxiaokeDataset` (tests generate one: tests/connectors/fxiaoke/generate.py), serve it with
`with FxiaokeSandbox(dataset) as sandbox:` (base URL `sandbox.url`, app in `sandbox.credentials`),
change it meanwhile with `dataset.edit / void / delete`, and compare the ledger with
`dataset.truth(source=...)` and `dataset.deleted()`. See docs/connectors/fxiaoke.md.
"""

from connectors.sandbox.fxiaoke.app import FxiaokeSandbox, SandboxCredentials, SandboxStats
from connectors.sandbox.fxiaoke.dataset import APPLICATION_REFERENCE, FxiaokeDataset, customer, product

__all__ = [
    "APPLICATION_REFERENCE",
    "FxiaokeDataset",
    "FxiaokeSandbox",
    "SandboxCredentials",
    "SandboxStats",
    "customer",
    "product",
]
