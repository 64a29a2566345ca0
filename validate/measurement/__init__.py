"""Measurement: descriptives, reliability, validity, EFA and the CFA of each mechanism.

- :mod:`validate.measurement.descriptives`: item descriptives and Mardia's tests (psych ``describe``, ``mardia``).
- :mod:`validate.measurement.reliability`: alpha, item-total statistics, omega/CR and AVE (psych, semTools).
- :mod:`validate.measurement.validity`: HTMT, Fornell-Larcker, cross-loadings, Harman's test.
- :mod:`validate.measurement.efa`: KMO, Bartlett, parallel analysis and the oblimin EFA.
- :mod:`validate.measurement.analysis`: the measurement step of the pipeline, which runs all of them and the CFA.
"""
