"""Layers kept as links to the planner's own files instead of copies in the project.

A link stores the path relative to the project folder (so a project folder moved as a whole
still opens), the absolute path (so a project saved elsewhere still finds the data), and a
fingerprint (size, CRS, bounds) that tells a changed file from the one that was linked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.roles import LayerRole
from districtplanner.io.errors import DataImportError
from districtplanner.io.readers import read_layer
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer


class LinkError(OSError):
    """A linked file that is missing or can no longer be read; the message says which."""


@dataclass
class LinkInfo:
    relative: str
    absolute: str
    layer: str = ""  # the layer inside a multi-layer file (GeoPackage), '' for the only one
    size: int = -1
    crs: str = ""
    bounds: tuple[float, float, float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bounds"] = list(self.bounds) if self.bounds is not None else None
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinkInfo:
        bounds = data.get("bounds")
        return cls(relative=str(data.get("relative", "")),
                   absolute=str(data.get("absolute", "")), layer=str(data.get("layer", "")),
                   size=int(data.get("size", -1)), crs=str(data.get("crs", "")),
                   bounds=tuple(float(v) for v in bounds) if bounds else None)  # type: ignore[arg-type]


def split_source(source: str) -> tuple[Path, str]:
    """``'file.gpkg|layer'`` (how readers name a layer of a multi-layer file) -> path, layer."""
    path, _, layer = source.partition("|")
    return Path(path), layer


def link_info(layer: Layer, project_dir: Path) -> LinkInfo:
    """The link a layer read from ``layer.source`` gets when saved in ``project_dir``."""
    path, sub = split_source(layer.source)
    path = path.resolve()
    try:
        relative = os.path.relpath(path, project_dir.resolve())
    except ValueError:  # another drive on Windows: only the absolute path helps
        relative = ""
    size = path.stat().st_size if path.exists() else -1
    data = layer.data
    crs = data.crs if isinstance(data, Raster) else (
        data.crs.to_string() if data.crs is not None else "")
    bounds = layer.bounds() if layer.feature_count else None
    return LinkInfo(relative=relative, absolute=str(path), layer=sub, size=size,
                    crs=crs, bounds=bounds)


def resolve(link: LinkInfo, project_dir: Path) -> Path | None:
    """Where the linked file is now: beside the project as before, else where it was."""
    candidates = []
    if link.relative:
        candidates.append(project_dir / link.relative)
    if link.absolute:
        candidates.append(Path(link.absolute))
    for c in candidates:
        if c.exists():
            return c
    return None


def reader_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping to give a reader again: readers replace a mapped column by their derived
    one and keep the original under ``<field>_source``, so undo that to read the file anew."""
    out = {k: v for k, v in mapping.items() if not k.endswith("_source")}
    for k, v in mapping.items():
        if k.endswith("_source"):
            out[k[: -len("_source")]] = v
    return out


def read_linked(link: LinkInfo, project_dir: Path, role: LayerRole, mapping: Mapping[str, str],
                crs: str, path: Path | None = None) -> tuple[gpd.GeoDataFrame | Raster, str]:
    """Read a linked layer into ``crs``; returns the data and a note ('' or a change notice).

    Raises LinkError naming the file when it is missing or unreadable.
    """
    found = path or resolve(link, project_dir)
    if found is None:
        raise LinkError(f"the linked file {link.absolute or link.relative} is missing; "
                        "find it with 'Find missing file…' (the layer is kept meanwhile).")
    try:
        loaded = read_layer(found, link.layer or None, role=role,
                            mapping=reader_mapping(mapping), project_crs=crs or None)
    except DataImportError as exc:
        raise LinkError(f"the linked file could not be read: {exc}") from None
    note = ""
    if link.size >= 0 and found.stat().st_size != link.size:
        note = f"the linked file {found} changed since the plan was saved."
    return loaded.data, note


def relink(document: Document, layer_id: str, new_path: Path) -> list[str]:
    """Point a missing layer at ``new_path`` and relink every other missing layer whose file
    is found under the same name in that folder. Returns the names relinked; raises LinkError
    when ``new_path`` cannot be read as that layer."""
    target = document.layer(layer_id)
    folder = new_path.parent
    todo: list[tuple[Layer, Path]] = [(target, new_path)]
    for la in document.layers:
        if la.id != layer_id and la.meta.get("missing") and la.meta.get("link"):
            old = LinkInfo.from_dict(la.meta["link"])
            candidate = folder / Path(old.absolute or old.relative).name
            if candidate.exists():
                todo.append((la, candidate))
    relinked = []
    analysed = document.analysed_state()
    for la, path in todo:
        link = LinkInfo.from_dict(la.meta.get("link") or {})
        try:
            data, _ = read_linked(link, folder, la.role, la.mapping, document.crs, path=path)
        except LinkError:
            if la is target:
                raise
            continue
        meta = {k: v for k, v in la.meta.items() if k != "missing"}
        meta["storage"] = "link"
        new = Layer(name=la.name, role=la.role, data=data, mapping=dict(la.mapping),
                    style=la.style, visible=la.visible, source=str(path), id=la.id, meta=meta,
                    analysed=la.analysed)
        new.meta["link"] = link_info(new, folder).to_dict()
        _, index = document.remove_layer(la.id)
        document.add_layer(new, index)
        relinked.append(la.name)
    if analysed is not None:
        document.restore_analysed_state(analysed)
    return relinked
