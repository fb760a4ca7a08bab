"""PyInstaller hook for pyogrio (pyinstaller-hooks-contrib has none).

pyogrio carries its own GDAL (pyogrio.libs) with its own PROJ, and looks for their data in
``pyogrio/gdal_data`` and ``pyogrio/proj_data``; without them GDAL cannot name a CRS.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("pyogrio", filter=lambda name: ".tests" not in name)
datas = collect_data_files("pyogrio", subdir="gdal_data") + collect_data_files(
    "pyogrio", subdir="proj_data"
)
