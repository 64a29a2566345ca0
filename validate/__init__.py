"""From survey responses to tested hypotheses: ingest, screening, measurement, structural model, report."""

__version__ = "0.1.0"

__all__ = ["__version__"]
