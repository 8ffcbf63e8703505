"""rightsmap: map testimonies of local grievances to the human-rights norms they engage.

>>> import rightsmap
>>> r = rightsmap.tag("The landlord shut off our heat in January.")   # doctest: +SKIP
>>> [t.article for t in r.tags]                                        # doctest: +SKIP
['UDHR-25', 'ICESCR-11']

The public names below are imported on first use, so ``import rightsmap`` and
``rightsmap --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "batch": ["BatchSummary", "tag_csv", "tag_frame"],
    "dataset": ["LabelledSet", "load_labelled"],
    "embed": ["Embedder", "get_embedder"],
    "framing": ["suggest"],
    "errors": ["DataError", "ModelError", "NormsError", "RightsmapError", "UnknownLabelError"],
    "norms": ["LABELS", "Norm", "get_norm", "load_norms", "parse_label"],
    "report": ["CompiledReport", "compile_report"],
    "tagger": ["Tagger", "load", "tag"],
    "text": ["redact"],
    "training": ["evaluate", "suggest_labels", "train"],
    "types": ["Evidence", "Recommendation", "Suggestion", "Tag", "TagResult"],
    "upr": ["RecommendationIndex", "import_recommendations"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "LABELS",
    "BatchSummary",
    "CompiledReport",
    "DataError",
    "Embedder",
    "Evidence",
    "LabelledSet",
    "ModelError",
    "Norm",
    "NormsError",
    "Recommendation",
    "RecommendationIndex",
    "RightsmapError",
    "Suggestion",
    "Tag",
    "TagResult",
    "Tagger",
    "UnknownLabelError",
    "__version__",
    "compile_report",
    "evaluate",
    "get_embedder",
    "get_norm",
    "import_recommendations",
    "load",
    "load_labelled",
    "load_norms",
    "parse_label",
    "redact",
    "suggest",
    "suggest_labels",
    "tag",
    "tag_csv",
    "tag_frame",
    "train",
]

if TYPE_CHECKING:
    from .batch import BatchSummary, tag_csv, tag_frame
    from .dataset import LabelledSet, load_labelled
    from .embed import Embedder, get_embedder
    from .errors import DataError, ModelError, NormsError, RightsmapError, UnknownLabelError
    from .framing import suggest
    from .norms import LABELS, Norm, get_norm, load_norms, parse_label
    from .report import CompiledReport, compile_report
    from .tagger import Tagger, load, tag
    from .text import redact
    from .training import evaluate, suggest_labels, train
    from .types import Evidence, Recommendation, Suggestion, Tag, TagResult
    from .upr import RecommendationIndex, import_recommendations


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rightsmap' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
