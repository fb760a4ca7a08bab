"""PyInstaller hook for rasterio (pyinstaller-hooks-contrib has none).

rasterio imports many of its Cython modules from other Cython modules, which PyInstaller's
static analysis cannot see, and it finds GDAL's and PROJ's data in ``rasterio/gdal_data``
and ``rasterio/proj_data`` next to its own files. Its vendored libraries (rasterio.libs)
are found through the extension modules' RPATH, so PyInstaller collects them itself.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("rasterio", filter=lambda name: ".tests" not in name)
datas = collect_data_files("rasterio", subdir="gdal_data") + collect_data_files(
    "rasterio", subdir="proj_data"
)
