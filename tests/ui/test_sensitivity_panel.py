"""The Sensitivity dock on the real window: a tornado for the selected district that
follows a vertex edit at once, a Monte Carlo that is pending until the worker delivers
it, and tiles that show the 90% interval beside their value."""

from shapely import affinity

from districtplanner.model.commands import SetDistrictGeometry


def test_tornado_follows_the_district_and_intervals_arrive(window, qtbot):
    panel = window.sensitivity
    first = window.document.districts[0]
    assert panel.metrics is not None and panel.metrics.name == first.name
    panel.chooser.setCurrentIndex(panel.chooser.findData("displacement_risk"))
    before = [t.value_low for t in panel.result.figures["displacement_risk"].tornado]
    assert before, "the composite has a tornado at once (inline)"
    tile = window.affordability.tiles["displacement_risk"]
    assert "pending" in tile.interval_label.text()
    assert "pending" in panel.value_label.text()
    panel.wait()
    assert panel.full is not None and panel.full.draws == 1000
    assert tile.interval_label.text().startswith("index 90%: ")
    assert window.incentives.tiles["npv"].interval_label.text().startswith("90%: ")
    # The LQ tile's value is on jobs; the dock's interval is of the LQ on firm counts, so
    # that line names its own value, and the detail line carries the value's own interval.
    lq = window.concentration.tiles["location_quotient"]
    firms = panel.full.figures["location_quotient"]
    assert lq.interval_label.text().startswith(f"on firm counts {firms.value:.2f}, 90%: ")
    assert "on jobs, 90%: " in lq.detail_label.text()
    assert "pending" not in panel.value_label.text()
    # A vertex edit: the tornado is recomputed inline, the interval pending again.
    moved = affinity.translate(first.geometry, 150, 0)
    window.undo_stack.push(SetDistrictGeometry(window.document, first.id, moved))
    window.recompute.run_now()
    after = [t.value_low for t in panel.result.figures["displacement_risk"].tornado]
    assert after != before
    assert "pending" in tile.interval_label.text()
    panel.wait()
    assert "pending" not in tile.interval_label.text()


def test_sensitivity_dock_draws(window, qtbot, tmp_path):
    window.sensitivity_dock.show()
    window.sensitivity.wait()
    window.sensitivity.chooser.setCurrentIndex(
        window.sensitivity.chooser.findData("npv"))
    image = window.sensitivity.grab().toImage()
    assert image.width() > 100
    assert window.sensitivity.chart._bars  # bars drawn
    assert "Switching values" in window.sensitivity.switching.text()
