"""Ask what a second layer of an analysed role is for, so an import never silently swaps the
layer every figure reads (issue 11: a district went from 538 creative firms to 0)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from districtplanner.analysis.roles import ROLE_LABELS
from districtplanner.model.city import FIGURE_FIELDS
from districtplanner.model.commands import CommandStack, SetAnalysedLayer
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer

USE_INSTEAD = "use"
COMBINE = "combine"
CONTEXT = "context"


def analysed_layer_box(parent: QWidget | None, new_name: str, role_label: str,
                       current_names: list[str], can_combine: bool) -> QMessageBox:
    """The question as a message box whose buttons carry the answers in ``.property("use")``
    (exec it, then read ``answer_of(box)``)."""
    current = ", ".join(current_names)
    quoted = ", ".join(f"“{n}”" for n in current_names)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Which layer feeds the figures?")
    box.setText(f"The figures already read {role_label.lower()} from the layer {quoted}. "
                f"What is “{new_name}” for?")
    box.setInformativeText(
        "Use instead: every figure reads the new layer. Combine: the figures count both "
        "(for files that cover different areas, not the same firms twice). Keep as context "
        "only: it is drawn on the map, the figures stay as they are. You can change this "
        "later from the layer's right-click menu.")
    use = box.addButton(f"Use {new_name} instead", QMessageBox.ButtonRole.AcceptRole)
    use.setProperty("use", USE_INSTEAD)
    if can_combine:
        both = box.addButton(f"Combine with {current}", QMessageBox.ButtonRole.AcceptRole)
        both.setProperty("use", COMBINE)
    keep = box.addButton("Keep as context only", QMessageBox.ButtonRole.RejectRole)
    keep.setProperty("use", CONTEXT)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box


def answer_of(box: QMessageBox) -> str:
    """USE_INSTEAD, COMBINE or CONTEXT (also when the box was closed)."""
    clicked = box.clickedButton()
    answer = clicked.property("use") if clicked is not None else None
    return answer if answer in (USE_INSTEAD, COMBINE) else CONTEXT


def ask_analysed_use(parent: QWidget, stack: CommandStack, document: Document,
                     layer: Layer) -> QMessageBox | None:
    """After ``layer`` joined the plan as context (its role already feeds the figures), ask
    without blocking what it is for; the answer is an undoable edit. None when there is
    nothing to ask (no other analysed layer of its role, or a role the figures ignore)."""
    current = [la for la in document.analysed_layers(layer.role) if la.id != layer.id]
    if layer.analysed or layer.role not in FIGURE_FIELDS or not current:
        return None
    can_combine = not layer.is_raster and not any(la.is_raster for la in current)
    box = analysed_layer_box(parent, layer.name, ROLE_LABELS[layer.role],
                             [la.name for la in current], can_combine)

    def answered() -> None:
        answer = answer_of(box)
        if answer == CONTEXT or layer.id not in {la.id for la in document.layers}:
            return  # kept as context (or removed meanwhile): nothing to change
        ids = [layer.id]
        text = f"Analyse {layer.name} instead"
        if answer == COMBINE:
            ids = [la.id for la in document.analysed_layers(layer.role)] + ids
            text = f"Combine {layer.name} into the figures"
        problem = stack.push(SetAnalysedLayer(document, layer.role, ids, text=text))
        if problem:
            QMessageBox.warning(parent, "Which layer feeds the figures?", problem)

    box.finished.connect(answered)
    box.setModal(False)
    box.show()
    return box
