"""Excel response templates generated from the bundled spec, and the bundled example data.

Shipped as package data so ``vcc demo`` finds the example after ``pip install .``.
"""
