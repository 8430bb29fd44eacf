"""The bottom layer: errors, the acting identity, settings and token primitives.

Nothing here imports anything else of the project (tests/test_layers.py checks it).
"""
