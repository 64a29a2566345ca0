"""Power: simulated studies from a population model and Monte Carlo power of every path and indirect effect.

- :mod:`validate.power.simulate`: the population model of a mechanism and simulated responses.
- :mod:`validate.power.study`: ``power_study`` and its result; the result's writer is :mod:`validate.report.power`.
"""
