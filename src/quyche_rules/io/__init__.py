"""Input and output at the edge: bounded YAML/JSON readers, the parse cache, text normal
forms and the packaged data files (``importlib.resources``).

The lowest layer: imports nothing of the package but ``errors``.
"""
