"""The loaded city as plain arrays in the project CRS (metres), built once per layer change.

Every figure reads these arrays, never the GeoDataFrames, so the fast path and the plain
reference path (a geopandas spatial join) start from exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from districtplanner.analysis.raster import Raster
from districtplanner.analysis.sectors import (
    CREATIVE_SECTORS,
    INSTITUTION_TYPES,
    NON_CREATIVE_CODE,
    sector_codes,
)

# Logical neighbourhood fields; missing ones become NaN columns.
NEIGHBOURHOOD_FIELDS: tuple[str, ...] = (
    "name", "population", "households", "median_income", "renter_share", "rent_growth",
    # Two dates (t0 earlier, t1 latest) for the published displacement methods
    # (analysis/displacement.py, TWO_DATE_FIELDS); absent ones stay NaN.
    "households_t0", "low_income_share_t0", "low_income_share", "college_share_t0",
    "college_share", "poc_share_t0", "poc_share", "renter_share_t0", "median_income_t0",
    "median_rent_t0", "median_rent", "recent_housing_share_t0",
)
# Code of an institution whose type is not in INSTITUTION_TYPES.
OTHER_INSTITUTION_CODE = len(INSTITUTION_TYPES)


class CityDataError(ValueError):
    """A layer that cannot be analysed: the message names the layer and the problem."""


def _empty_xy() -> np.ndarray:
    return np.empty((0, 2), dtype=np.float64)


@dataclass
class CityData:
    """Arrays of one city. Coordinates are metres in ``crs``.

    ``est_sector`` holds codes per :mod:`analysis.sectors` (``NON_CREATIVE_CODE`` for every
    other sector); ``est_jobs`` is jobs per establishment (0 where unknown; ``has_jobs`` is
    False when the layer has no jobs at all). Rents come as points (``rent_xy`` +
    ``rent_values``), a raster (``rent_raster``) or polygons (``rent_polygons`` +
    ``rent_polygon_values``), all in currency per m² per month.
    """

    crs: Any = None
    est_xy: np.ndarray = field(default_factory=_empty_xy)
    est_sector: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    est_jobs: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    has_jobs: bool = False
    rent_xy: np.ndarray | None = None
    rent_values: np.ndarray | None = None
    rent_raster: Raster | None = None
    rent_polygons: np.ndarray | None = None  # shapely geometries
    rent_polygon_values: np.ndarray | None = None
    stops_xy: np.ndarray = field(default_factory=_empty_xy)
    inst_xy: np.ndarray = field(default_factory=_empty_xy)
    inst_type: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    neighbourhoods: gpd.GeoDataFrame | None = None

    @property
    def n_establishments(self) -> int:
        return int(self.est_xy.shape[0])

    @property
    def rent_kind(self) -> str | None:
        """'points', 'raster', 'polygons' or None: which rent source the figures use."""
        if self.rent_values is not None:
            return "points"
        if self.rent_raster is not None:
            return "raster"
        if self.rent_polygon_values is not None:
            return "polygons"
        return None

    def rent_observations(self) -> tuple[np.ndarray, np.ndarray]:
        """Point-like rent observations (x, y as (n,2); value): points, or the centres of
        valid raster cells (a cell counts as inside a district when its centre is, the
        rule of ``rasterio.features.geometry_mask``). Empty for polygon rents."""
        if self.rent_values is not None and self.rent_xy is not None:
            return self.rent_xy, self.rent_values
        if self.rent_raster is not None:
            x, y = self.rent_raster.cell_centres()
            v = np.asarray(self.rent_raster.values, dtype=np.float64).ravel()
            ok = np.isfinite(v)
            return np.column_stack([x[ok], y[ok]]), v[ok]
        return _empty_xy(), np.empty(0, np.float64)

    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of every layer, in metres."""
        boxes = []
        for xy in (self.est_xy, self.stops_xy, self.inst_xy, self.rent_xy):
            if xy is not None and len(xy):
                boxes.append((*xy.min(axis=0), *xy.max(axis=0)))
        if self.rent_raster is not None:
            boxes.append(self.rent_raster.bounds)
        for geoms in (
            self.rent_polygons,
            None if self.neighbourhoods is None else self.neighbourhoods.geometry.values,
        ):
            if geoms is not None and len(geoms):
                b = shapely.total_bounds(np.asarray(geoms))
                if np.all(np.isfinite(b)):
                    boxes.append(tuple(b))
        if not boxes:
            return (0.0, 0.0, 1.0, 1.0)
        arr = np.asarray(boxes, dtype=np.float64)
        return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())

    def city_area_m2(self) -> float:
        """Area of the city: the neighbourhoods' total area when present, else the extent."""
        if self.neighbourhoods is not None and len(self.neighbourhoods):
            return float(shapely.area(self.neighbourhoods.geometry.values).sum())
        xmin, ymin, xmax, ymax = self.extent()
        return float(max(xmax - xmin, 0.0) * max(ymax - ymin, 0.0))

    @classmethod
    def from_frames(
        cls,
        establishments: gpd.GeoDataFrame | None = None,
        sector_column: str = "sector",
        jobs_column: str | None = "employees",
        rents: gpd.GeoDataFrame | Raster | None = None,
        rent_column: str = "rent",
        stops: gpd.GeoDataFrame | None = None,
        institutions: gpd.GeoDataFrame | None = None,
        type_column: str = "type",
        neighbourhoods: gpd.GeoDataFrame | None = None,
        neighbourhood_columns: Mapping[str, str] | None = None,
    ) -> CityData:
        """Arrays from layers. Vector layers are reprojected to the first layer's CRS,
        which must be projected (metres). ``neighbourhood_columns`` maps logical fields
        (NEIGHBOURHOOD_FIELDS) to column names where they differ."""
        frames = [f for f in (establishments, stops, institutions, neighbourhoods)
                  if f is not None]
        if isinstance(rents, gpd.GeoDataFrame):
            frames.append(rents)
        crs = next((f.crs for f in frames if f.crs is not None), None)
        if crs is None and isinstance(rents, Raster):
            crs = rents.crs
        if crs is not None and not CRS.from_user_input(crs).is_projected:
            raise CityDataError(
                f"The layers are in a geographic CRS ({CRS.from_user_input(crs).name}); "
                "reproject them to a projected CRS in metres first."
            )

        def same_crs(frame: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
            frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
            if crs is not None and frame.crs is not None and not frame.crs.equals(crs):
                frame = frame.to_crs(crs)
            return frame

        city = cls(crs=crs)
        if establishments is not None:
            est = same_crs(establishments, "establishments")
            city.est_xy = _point_xy(est)
            if sector_column not in est.columns:
                raise CityDataError(
                    f"Establishments: no column '{sector_column}' for the sector "
                    f"(columns: {', '.join(map(str, est.columns))})."
                )
            city.est_sector = sector_codes(est[sector_column].astype(str))
            if jobs_column and jobs_column in est.columns:
                jobs = pd.to_numeric(est[jobs_column], errors="coerce").to_numpy(np.float64)
                city.has_jobs = bool(np.isfinite(jobs).any())
                jobs = np.where(np.isfinite(jobs) & (jobs > 0), jobs, 0.0)
                city.est_jobs = jobs
            else:
                city.est_jobs = np.zeros(len(est), np.float64)
        if isinstance(rents, Raster):
            city.rent_raster = rents
        elif rents is not None:
            r = same_crs(rents, "rents")
            if rent_column not in r.columns:
                raise CityDataError(
                    f"Rents: no column '{rent_column}' (columns: "
                    f"{', '.join(map(str, r.columns))})."
                )
            values = pd.to_numeric(r[rent_column], errors="coerce").to_numpy(np.float64)
            ok = np.isfinite(values)
            r, values = r[ok], values[ok]
            types = set(shapely.get_type_id(r.geometry.values).tolist())
            if types <= {0, 4}:  # Point, MultiPoint
                city.rent_xy = _point_xy(r)
                city.rent_values = values
            else:
                city.rent_polygons = np.asarray(r.geometry.values)
                city.rent_polygon_values = values
        if stops is not None:
            city.stops_xy = _point_xy(same_crs(stops, "transit stops"))
        if institutions is not None:
            inst = same_crs(institutions, "institutions")
            city.inst_xy = _point_xy(inst)
            lookup = {t: i for i, t in enumerate(INSTITUTION_TYPES)}
            if type_column in inst.columns:
                city.inst_type = np.fromiter(
                    (lookup.get(str(t), OTHER_INSTITUTION_CODE) for t in inst[type_column]),
                    dtype=np.int8, count=len(inst),
                )
            else:
                city.inst_type = np.full(len(inst), OTHER_INSTITUTION_CODE, np.int8)
        if neighbourhoods is not None:
            city.neighbourhoods = _standard_neighbourhoods(
                same_crs(neighbourhoods, "neighbourhoods"), neighbourhood_columns or {}
            )
        return city

    def subset(self, establishments: np.ndarray) -> CityData:
        """A copy holding only the establishments selected by a boolean mask or index."""
        return CityData(
            crs=self.crs, est_xy=self.est_xy[establishments],
            est_sector=self.est_sector[establishments], est_jobs=self.est_jobs[establishments],
            has_jobs=self.has_jobs, rent_xy=self.rent_xy, rent_values=self.rent_values,
            rent_raster=self.rent_raster, rent_polygons=self.rent_polygons,
            rent_polygon_values=self.rent_polygon_values, stops_xy=self.stops_xy,
            inst_xy=self.inst_xy, inst_type=self.inst_type, neighbourhoods=self.neighbourhoods,
        )


def _point_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """x, y per feature: the point itself, or the centroid of any other geometry."""
    geoms = np.asarray(frame.geometry.values)
    if len(geoms) == 0:
        return _empty_xy()
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.centroid(geoms[not_point])
    return np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]).astype(np.float64)


def _standard_neighbourhoods(
    frame: gpd.GeoDataFrame, columns: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """Neighbourhoods with the logical columns (NaN where absent), polygons made valid."""
    out = {}
    for name in NEIGHBOURHOOD_FIELDS:
        col = columns.get(name, name)
        if name == "name":
            out[name] = (frame[col].astype(str).to_numpy() if col in frame.columns
                         else np.array([f"#{i + 1}" for i in range(len(frame))], dtype=object))
        elif col in frame.columns:
            out[name] = pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64)
        else:
            out[name] = np.full(len(frame), np.nan)
    geoms = shapely.make_valid(np.asarray(frame.geometry.values))
    return gpd.GeoDataFrame(out, geometry=geoms, crs=frame.crs).reset_index(drop=True)


SECTOR_KEYS: tuple[str, ...] = (*CREATIVE_SECTORS, "non_creative")
assert len(SECTOR_KEYS) == NON_CREATIVE_CODE + 1
