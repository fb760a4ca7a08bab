"""Moving data already loaded into another project CRS (the planner chose a new one)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from rasterio.transform import Affine
from rasterio.warp import Resampling
from shapely.geometry.base import BaseGeometry

from districtplanner.analysis.raster import Raster
from districtplanner.io.crs import is_metric_projected, normalise_crs
from districtplanner.io.readers import _warp


def checked_project_crs(crs: str) -> str:
    """'EPSG:nnnn' for a projected CRS in metres; ValueError with the reason otherwise."""
    code = normalise_crs(crs.strip())
    if not is_metric_projected(code):
        raise ValueError(
            f"{crs} is not a projected coordinate system in metres; distances and areas need "
            "one (for example the UTM zone of your city, such as EPSG:32632)."
        )
    return code


def reproject_geometry(geom: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    t = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def reproject_raster(raster: Raster, dst: str) -> Raster:
    """Warp a raster into ``dst``: bilinear for values, nearest for a packed basemap."""
    t = Affine(*raster.transform)
    if raster.unit == "argb32":
        channels = [((raster.values >> s) & 0xFF).astype(np.float64) for s in (24, 16, 8, 0)]
        warped = [_warp(c, t, raster.crs, dst, Resampling.nearest) for c in channels]
        out_t = warped[0][1]
        parts = [np.nan_to_num(w[0], nan=0.0).astype(np.uint32) for w in warped]
        values = (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
    else:
        values, out_t = _warp(raster.values, t, raster.crs, dst, Resampling.bilinear)
    return Raster(values, (out_t.a, out_t.b, out_t.c, out_t.d, out_t.e, out_t.f), dst,
                  name=raster.name, unit=raster.unit)


def reproject_data(data: gpd.GeoDataFrame | Raster, dst: str) -> gpd.GeoDataFrame | Raster:
    if isinstance(data, Raster):
        return reproject_raster(data, dst)
    return data.to_crs(dst)
