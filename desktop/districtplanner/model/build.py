"""Turn loaded files into a document: default styles per role, districts out of district
layers, the project CRS from the data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from districtplanner.analysis.incentives import default_instruments
from districtplanner.analysis.roles import LayerRole
from districtplanner.io.loaded import LoadedLayer
from districtplanner.io.readers import read_files
from districtplanner.io.sample import SAMPLE_TITLE, load_sample_city
from districtplanner.model.district import DISTRICT_COLOURS, District
from districtplanner.model.document import Document
from districtplanner.model.layer import Layer
from districtplanner.model.styles import ROLE_STYLES, default_style
from districtplanner.paths import sample_city_dir

__all__ = ["ROLE_STYLES", "default_style", "districts_from_frame", "document_from_loaded",
           "layer_from_loaded", "open_files", "open_sample_city"]


def layer_from_loaded(loaded: LoadedLayer) -> Layer:
    style = default_style(loaded.role)
    for key, value in loaded.style.items():
        if hasattr(style, key):
            setattr(style, key, value)
    return Layer(
        name=loaded.name,
        role=loaded.role,
        data=loaded.data,
        mapping=dict(loaded.mapping),
        style=style,
        source=loaded.source,
        meta={"warnings": list(loaded.warnings)},
    )


def districts_from_frame(gdf: gpd.GeoDataFrame, mapping: dict[str, str]) -> list[District]:
    """One District per polygon row; name/colour/notes from the mapped columns if present."""
    out = []
    for i, row in enumerate(gdf.itertuples(index=False)):
        rec = row._asdict()
        geom = rec.get(gdf.geometry.name)
        if geom is None or geom.is_empty:
            continue
        out.append(
            District(
                name=str(rec.get(mapping.get("name", "name")) or f"District {i + 1}"),
                geometry=geom,
                colour=str(rec.get(mapping.get("colour", "colour")) or
                           DISTRICT_COLOURS[i % len(DISTRICT_COLOURS)]),
                notes=str(rec.get(mapping.get("notes", "notes")) or ""),
            )
        )
    return out


def document_from_loaded(loaded: Sequence[LoadedLayer], title: str = "",
                         crs: str = "") -> Document:
    """A document holding ``loaded`` (district layers become editable districts)."""
    if not crs:
        crs = next((la.crs for la in loaded if la.crs), "")
    doc = Document(crs=crs, title=title)
    layers = []
    districts: list[District] = []
    for la in loaded:
        if la.role == LayerRole.DISTRICTS and isinstance(la.data, gpd.GeoDataFrame):
            districts += districts_from_frame(la.data, la.mapping)
        else:
            layers.append(layer_from_loaded(la))
    doc.add_layers(layers)
    for d in districts:
        doc.add_district(d)
    if doc.districts:
        doc.selection.set_active_district(doc.districts[0].id)
    return doc


def open_files(paths: Sequence[Path]) -> tuple[Document, list[str]]:
    """A document of ``paths`` with guessed roles and mappings, in the UTM zone of the data;
    also the message of every file that could not be read (the others still open)."""
    loaded, errors = read_files(list(paths))
    names = ", ".join(Path(p).name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
    doc = document_from_loaded(loaded, title=names)
    for d in doc.districts:
        d.instruments = default_instruments()
    problems = [str(e) for e in errors] + [w for la in loaded for w in la.warnings]
    return doc, problems


def open_sample_city() -> Document:
    """The bundled synthetic city, as a new user first sees it: its example districts carry
    the default incentive package so every panel has figures from the first frame."""
    doc = document_from_loaded(load_sample_city(sample_city_dir()), title=SAMPLE_TITLE)
    for d in doc.districts:
        d.instruments = default_instruments()
    return doc
