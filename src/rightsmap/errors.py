"""Exceptions raised by rightsmap. Each message says what was wrong, where, and what to do."""


class RightsmapError(Exception):
    """Base class for every error rightsmap raises on purpose."""


class NormsError(RightsmapError):
    """The norms corpus (article summaries, cues, crosswalk) is missing or inconsistent."""


class UnknownLabelError(RightsmapError, ValueError):
    """A label is not one of the article IDs (UDHR-1..30, ICCPR-1..27, ICESCR-1..15)."""


class DataError(RightsmapError, ValueError):
    """A labelled or input file cannot be used as it is (missing column, bad row, ...)."""


class ModelError(RightsmapError):
    """A model directory is missing, malformed, or was built with another embedder."""
