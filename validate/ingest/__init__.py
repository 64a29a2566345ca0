"""Ingest: read response files (templates and platform exports), match their columns to the spec's items and code the answers.

- :mod:`validate.ingest.formats` recognises each platform's export (Wenjuanxing, Qualtrics, Google and Microsoft Forms).
- :mod:`validate.ingest.responses` reads, matches and codes them into one data frame per mechanism.
"""
