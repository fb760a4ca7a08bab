"""The benchmark city open in the real window, for the benchmarks that drive the UI."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from districtplanner.io.sample import CITY_NAME, loaded_from_city
from districtplanner.model.build import document_from_loaded
from districtplanner.model.document import Document
from districtplanner.sample_city import benchmark_city
from districtplanner.ui.app import application
from districtplanner.ui.main_window import MainWindow


def open_benchmark_window(n: int) -> tuple[QApplication, Document, MainWindow]:
    """Generate the benchmark city of ``n`` establishments and show it at 1600×1000."""
    t0 = time.perf_counter()
    city = benchmark_city(n)
    print(f"generated {n:,} establishments in {time.perf_counter() - t0:.1f} s")
    app = application()
    doc = document_from_loaded(loaded_from_city(city), title=CITY_NAME)
    win = MainWindow(doc)
    win.resize(1600, 1000)
    win.show()
    app.processEvents()
    return app, doc, win
