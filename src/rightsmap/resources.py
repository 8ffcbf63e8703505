"""Where the bundled corpora and default model live, in a wheel or in a source checkout."""

from pathlib import Path

_PACKAGE_DATA = Path(__file__).parent / "_data"
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def data_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``data_path("corpora", "norms")``.

    A wheel carries ``corpora/`` and ``models/default/`` under ``rightsmap/_data``; an editable
    install or a source checkout reads them from the repository root.
    """
    base = _PACKAGE_DATA if _PACKAGE_DATA.is_dir() else _CHECKOUT_ROOT
    return base.joinpath(*parts)
