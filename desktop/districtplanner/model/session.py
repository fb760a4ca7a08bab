"""A Session is one open plan: the document, its undo stack and its figures. The window and
the command line both drive a Session, so both get the same figures from the same code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from districtplanner.model.commands import CommandStack
from districtplanner.model.document import Document
from districtplanner.model.figures import Figures


class Session:
    """``document`` + ``stack`` (every edit, undoable) + ``figures`` (cached per district)."""

    def __init__(self, document: Document | None = None, baseline_name: str = "Whole city",
                 baseline_instruments: Sequence[Any] = ()) -> None:
        self.document = document if document is not None else Document()
        self.stack = CommandStack(self.document)
        self.figures = Figures(self.document, baseline_name, baseline_instruments)

    @classmethod
    def sample_city(cls, **kwargs: Any) -> Session:
        """The bundled sample city with its example districts (raises FileNotFoundError
        naming the missing file when the bundle is damaged)."""
        from districtplanner.model.build import open_sample_city

        return cls(open_sample_city(), **kwargs)
