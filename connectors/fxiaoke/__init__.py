"""The Fxiaoke (纷享销客) connector: customers, products, orders, payments, invoice applications."""

from connectors.fxiaoke.connector import KIND, Fxiaoke, build

__all__ = ["KIND", "Fxiaoke", "build"]
