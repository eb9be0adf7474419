"""Tests of the pure reconciler core."""
