"""``vcc app``: a local web app and JSON API over the same library calls as the command line.

Importing this package imports nothing heavy; :mod:`validate.app.server`
(FastAPI) is loaded when the app starts. See :mod:`validate.app.command` for
the ``vcc app`` options, :mod:`validate.app.server` for the pages and the API.
"""
