"""The Affordability panel shows "—" and the missing input, never a finding made of no data
(issue 11: "Displacement risk low", "priced out 0" with no rent layer)."""

from districtplanner.analysis.roles import LayerRole


def test_without_a_rent_layer_the_panel_says_so(window):
    doc = window.document
    while (layer := doc.first_layer(LayerRole.RENTS)) is not None:
        doc.remove_layer(layer.id)
    window.recompute.run_now()
    tiles = window.affordability.tiles
    for key in ("rent_median", "rent_burden_share", "displacement_risk",
                "households_priced_out", "creative_firms_priced_out"):
        assert tiles[key].value_label.text() == "—", key
        assert tiles[key].detail_label.text().startswith("no rent layer"), key
    assert "percentile" not in tiles["rent_median"].detail_label.text()
    path = "/tmp/h3_affordability_no_rents.png"
    window.affordability.grab().save(path)
