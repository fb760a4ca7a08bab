"""Runtime hook: runs first in the bundle, before any library is imported.

Each geospatial wheel carries its own PROJ (pyproj 9.5, rasterio 9.7, pyogrio's GDAL its
own) and each finds its own proj.db next to its files, unless PROJ_DATA / PROJ_LIB say
otherwise: then every one of them reads that one folder, and the libraries whose PROJ is
newer than that database fail ("DATABASE.LAYOUT.VERSION.MINOR ... comes from another PROJ
installation"). A planner's PC often has those variables set by QGIS or ArcGIS, and
pyinstaller's own pyproj runtime hook may set PROJ_LIB. So they are removed here, each
library uses its own data, and `district-planner selftest` names what was ignored.
"""

import os
import sys

_ignored = [f"{k}={os.environ.pop(k)}" for k in ("PROJ_DATA", "PROJ_LIB", "GDAL_DATA")
            if k in os.environ]
if _ignored:
    os.environ["DISTRICT_PLANNER_IGNORED_ENV"] = os.pathsep.join(_ignored)
# Offline by design: PROJ must never try to fetch a datum grid from its CDN.
os.environ["PROJ_NETWORK"] = "OFF"
# Sample city, sector mappings, fonts and icons ship in the bundle's data folder.
os.environ.setdefault("DISTRICT_PLANNER_RESOURCES", os.path.join(sys._MEIPASS, "resources"))
