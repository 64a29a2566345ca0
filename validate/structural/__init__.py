"""Structural: the structural model of each mechanism, its indirect effects and the platform comparison.

- :mod:`validate.structural.analysis`: paths, hypotheses, R², f², invariance and per-group paths.
- :mod:`validate.structural.mediation`: indirect chains, percentile and BCa intervals, mediation types.
- :mod:`validate.structural.bootstrap`: resampling with seeded, parallel refits.
- :mod:`validate.structural.moderation`: latent interactions (product indicators), simple slopes, Johnson-Neyman.
- :mod:`validate.structural.moderated_mediation`: conditional indirect effects and the index of moderated mediation.
"""
