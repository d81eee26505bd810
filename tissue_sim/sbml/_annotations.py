"""What SBML has no element for, kept in ``tissue_sim`` annotations and XHTML notes.

Every element the export writes carries one annotation element in the namespace
:data:`NAMESPACE` (prefix ``tissue_sim``) that names its role in the model file:

* ``<tissue_sim:parameter name= model= source= given= note=/>`` on parameters;
* ``<tissue_sim:input feature=/>`` on the parameters that stand for stimulus inputs;
* ``<tissue_sim:external model= description=/>`` on an external species held constant;
* ``<tissue_sim:expression name= model=/>`` on helper expressions (assignment rules);
* ``<tissue_sim:species description=/>`` on species;
* ``<tissue_sim:model models= title=>`` on the model, holding the presets as
  ``<tissue_sim:preset name=><tissue_sim:value species= value=/></tissue_sim:preset>``.

Values are written in full (``repr``) in the annotations too, because SBML writers print
15 significant digits: an exported model file imports bit for bit.

Notes (human-readable XHTML) repeat the sources and the description for SBML tools that
show notes. The import reads these annotations back, so an exported model file imports
with its sources, inputs, externals and presets intact.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "NAMESPACE",
    "Annotation",
    "AnnotationChild",
    "notes_text",
    "read_annotation",
    "set_annotation",
    "set_notes",
]

#: A nested annotation element: (tag, attributes, [(tag, attributes) of its children]).
AnnotationChild = tuple[str, Mapping[str, str], Sequence[tuple[str, Mapping[str, str]]]]

#: XML namespace of tissue_sim's SBML annotations.
NAMESPACE: Final[str] = "urn:tissue-sim:sbml:1"
_PREFIX: Final[str] = "tissue_sim"
_XHTML: Final[str] = "http://www.w3.org/1999/xhtml"
_TAG: Final = re.compile(r"<[^>]*>")
#: Longest notes text read (a notes bomb is cut, not carried into a model file).
MAX_NOTES: Final[int] = 20_000


def set_annotation(
    element: Any,
    tag: str,
    attributes: Mapping[str, str],
    children: Sequence[AnnotationChild] | None = None,
) -> None:
    """Set one ``tissue_sim:<tag>`` annotation element on an SBML element.

    Parameters
    ----------
    element
        A libsbml ``SBase``.
    tag
        The element name (``parameter``, ``input``, …).
    attributes
        Its attributes (text; empty values are left out).
    children
        Nested elements: ``(tag, attributes, grandchildren)`` with grandchildren
        ``(tag, attributes)``.
    """

    def attrs(values: Mapping[str, str]) -> str:
        return "".join(f" {key}={quoteattr(str(value))}" for key, value in values.items() if value)

    inner = ""
    for child_tag, child_attributes, grandchildren in children or []:
        body = "".join(
            f"<{_PREFIX}:{g_tag}{attrs(g_attributes)}/>" for g_tag, g_attributes in grandchildren
        )
        inner += f"<{_PREFIX}:{child_tag}{attrs(child_attributes)}>{body}</{_PREFIX}:{child_tag}>"
    xml = (
        f'<annotation><{_PREFIX}:{tag} xmlns:{_PREFIX}="{NAMESPACE}"{attrs(attributes)}>'
        f"{inner}</{_PREFIX}:{tag}></annotation>"
    )
    if element.setAnnotation(xml) != 0:
        raise RuntimeError(f"libsbml refused the annotation {xml[:200]}")


class Annotation:
    """A ``tissue_sim`` annotation element read from SBML."""

    def __init__(self, node: Any) -> None:
        self._node = node

    @property
    def tag(self) -> str:
        """Element name (``parameter``, ``input``, …)."""
        return str(self._node.getName())

    def get(self, key: str) -> str:
        """Attribute value (``""`` when absent)."""
        attributes = self._node.getAttributes()
        index = attributes.getIndex(key)
        return str(attributes.getValue(index)) if index >= 0 else ""

    def exact(self, key: str, written: float) -> float:
        """The full value kept in attribute ``key`` when it rounds to ``written`` (the
        value in the SBML element), else ``written`` (the SBML value was edited)."""
        try:
            value = float(self.get(key))
        except ValueError:
            return written
        if value == written or abs(value - written) <= 1e-13 * abs(value):
            return value
        return written

    def children(self, tag: str) -> list[Annotation]:
        """Nested ``tissue_sim:<tag>`` elements."""
        found = []
        for index in range(self._node.getNumChildren()):
            child = self._node.getChild(index)
            if child.isElement() and child.getURI() == NAMESPACE and child.getName() == tag:
                found.append(Annotation(child))
        return found


def read_annotation(element: Any, *tags: str) -> Annotation | None:
    """The element's ``tissue_sim`` annotation if its tag is one of ``tags``."""
    annotation = element.getAnnotation() if element.isSetAnnotation() else None
    if annotation is None:
        return None
    for index in range(annotation.getNumChildren()):
        child = annotation.getChild(index)
        if child.isElement() and child.getURI() == NAMESPACE and child.getName() in tags:
            return Annotation(child)
    return None


def set_notes(element: Any, text: str) -> None:
    """XHTML notes holding ``text`` verbatim (a ``<pre>`` block)."""
    xml = f'<notes><body xmlns="{_XHTML}"><pre>{escape(text)}</pre></body></notes>'
    if element.setNotes(xml) != 0:
        raise RuntimeError("libsbml refused the notes")


def notes_text(element: Any) -> str:
    """The plain text of an element's notes (tags removed, at most :data:`MAX_NOTES`)."""
    if not element.isSetNotes():
        return ""
    raw = str(element.getNotesString() or "")[: 4 * MAX_NOTES]
    text = html.unescape(_TAG.sub("", raw))
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    result = "\n".join(line[indent:] for line in lines).strip()
    return result[:MAX_NOTES]
