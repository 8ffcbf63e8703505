"""The spaCy pipeline component: ``nlp.add_pipe("rightsmap")``.

Registered through the ``spacy_factories`` entry point, so it works in any pipeline once
rightsmap is installed::

    nlp = spacy.blank("en")
    nlp.add_pipe("rightsmap")                        # or config={"model": "models/my-coalition"}
    doc = nlp("The landlord shut off our heat in January.")
    doc._.rights              # list[Tag], as rightsmap.tag returns them
    doc._.rights_suggestions  # list[Suggestion]
    doc._.rights_withheld     # list[Tag]: TagResult.withheld
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .tagger import Tagger, load
from .types import TagResult

EXTENSIONS = ("rights", "rights_suggestions", "rights_recommendations", "rights_withheld")


class RightsComponent:
    """Tags each Doc's text with a rightsmap model and stores the result on ``doc._``."""

    def __init__(
        self,
        tagger: Tagger,
        top_k: int | None = None,
        min_confidence: float | None = None,
        recommendations: int | None = None,
        suggest: bool = True,
    ) -> None:
        self.tagger = tagger
        self.options: dict[str, Any] = {
            "top_k": top_k,
            "min_confidence": min_confidence,
            "recommendations": recommendations,
            "suggest": suggest,
        }
        for name in EXTENSIONS:
            if not Doc.has_extension(name):
                Doc.set_extension(name, default=None)

    def __call__(self, doc: Doc) -> Doc:
        return self._set(doc, self.tagger.tag(doc.text, **self.options))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """Tag docs in batches (one embedding pass per batch)."""
        it = iter(docs)
        while batch := list(islice(it, batch_size)):
            results = self.tagger.tag([d.text for d in batch], **self.options)
            yield from (self._set(d, r) for d, r in zip(batch, results, strict=True))

    @staticmethod
    def _set(doc: Doc, result: TagResult) -> Doc:
        doc._.rights = result.tags
        doc._.rights_suggestions = result.suggestions
        doc._.rights_recommendations = result.recommendations
        doc._.rights_withheld = result.withheld
        return doc


@Language.factory(
    "rightsmap",
    default_config={
        "model": None,
        "top_k": None,
        "min_confidence": None,
        "recommendations": None,
        "suggest": True,
    },
)
def make_rightsmap(
    nlp: Language,
    name: str,
    model: str | None,
    top_k: int | None,
    min_confidence: float | None,
    recommendations: int | None,
    suggest: bool,
) -> RightsComponent:
    """Build the component; ``model`` is a model directory (None: the bundled default)."""
    return RightsComponent(load(model), top_k, min_confidence, recommendations, suggest)
