"""Codes, tags and names map to the one taxonomy; unknown categories come back to the user."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from districtplanner.analysis.sector_mapping import (
    SCHEME_FILES,
    TARGET_SECTORS,
    SectorMapping,
    SectorMappingError,
    guess_scheme,
    normalise_code,
    normalise_name,
)
from districtplanner.analysis.sectors import CREATIVE_SECTORS, NON_CREATIVE_CODE
from districtplanner.paths import mappings_dir

# The DCMS Creative Industries Economic Estimates' SIC 2007 list, by DCMS group, with the
# taxonomy key each group lands in.
DCMS = {
    "advertising": ["70.21", "73.11", "73.12"],
    "architecture": ["71.11"],
    "crafts_visual_arts": ["32.12", "90.03"],
    "design_fashion": ["74.10"],
    "film_tv": ["59.11", "59.12", "59.13", "59.14", "60.10", "60.20", "74.20"],
    "digital_software": ["58.21", "58.29", "62.01", "62.02"],
    "publishing": ["58.11", "58.12", "58.13", "58.14", "58.19", "74.30"],
    "museums_heritage": ["91.01", "91.02"],
    "music_performing": ["59.20", "85.52", "90.01", "90.02", "90.04"],
}


def test_shipped_files_exist_and_load() -> None:
    for scheme, fname in SCHEME_FILES.items():
        assert (mappings_dir() / fname).is_file()
        m = SectorMapping.load(scheme)
        assert m.table and set(m.table.values()) <= set(TARGET_SECTORS)


@pytest.mark.parametrize(("sector", "codes"), DCMS.items())
def test_every_dcms_sic_code_maps_to_its_sector(sector: str, codes: list[str]) -> None:
    m = SectorMapping.load("sic")
    for code in codes:
        for written in (code, code.replace(".", ""), code.replace(".", "") + "0", "J " + code):
            assert m.lookup(written) == sector, written


def test_sic_non_creative_and_leading_zero() -> None:
    m = SectorMapping.load("sic")
    assert m.lookup("47.11") == "retail"
    assert m.lookup("56.10") == "hospitality"
    assert m.lookup(1.11) == "non_creative"  # '01.11' read as a number
    assert m.lookup("00.00") is None


def test_naics_longest_prefix_wins() -> None:
    m = SectorMapping.load("naics")
    assert m.lookup("541310") == "architecture"
    assert m.lookup(541330) == "professional_services"  # engineering, same 5413 group
    assert m.lookup("512110") == "film_tv"
    assert m.lookup(722511.0) == "hospitality"
    assert m.lookup("711110") == "music_performing"
    assert m.lookup("712110") == "museums_heritage"
    assert m.lookup("541430") == "design_fashion"
    assert m.lookup("541810") == "advertising"
    assert m.lookup("513210") == "digital_software"
    assert m.lookup("999999") is None


@pytest.mark.parametrize(("tag", "sector"), [
    ("amenity=theatre", "music_performing"),
    ("amenity=arts_centre", "crafts_visual_arts"),
    ("amenity=cinema", "film_tv"),
    ("amenity=studio", "film_tv"),
    ("craft=pottery", "crafts_visual_arts"),
    ("craft=jeweller", "crafts_visual_arts"),
    ("craft=plumber", "non_creative"),
    ("shop=art", "crafts_visual_arts"),
    ("shop=music", "music_performing"),
    ("shop=musical_instrument", "music_performing"),
    ("office=architect", "architecture"),
    ("office=advertising_agency", "advertising"),
    ("tourism=museum", "museums_heritage"),
    ("tourism=gallery", "museums_heritage"),
    ("shop=bakery", "retail"),
    ('"name"=>"Volksbühne","amenity"=>"theatre"', "music_performing"),
])
def test_osm_tags(tag: str, sector: str) -> None:
    assert SectorMapping.load("osm").lookup(tag) == sector


def test_osm_bare_values_with_column_key() -> None:
    m = SectorMapping.load("osm")
    keys, unknown = m.sector_keys(["cinema", "theatre"], key="amenity")
    assert list(keys) == ["film_tv", "music_performing"] and unknown == []
    assert m.lookup("historic=castle") is None


def test_names_english_german_and_taxonomy_keys() -> None:
    m = SectorMapping.load("names")
    assert m.lookup("Film & TV") == "film_tv"
    assert m.lookup("Architektur") == "architecture"
    assert m.lookup("Software und Games") == "digital_software"
    assert m.lookup("Museums & heritage") == "museums_heritage"
    for key in CREATIVE_SECTORS:
        assert m.lookup(key) == key
        assert SectorMapping.load("naics").lookup(key) == key


def test_unknown_categories_are_returned_not_dropped() -> None:
    m = SectorMapping.load("names")
    values = ["Film", "Bäckerei", None, "Bäckerei", "", "Werbung", "Kiosk"]
    codes, unknown = m.map_values(values)
    assert len(codes) == len(values)
    assert unknown == ["", "Bäckerei", "Kiosk"]  # most frequent first; blanks as ''
    assert codes[0] == CREATIVE_SECTORS.index("film_tv")
    assert codes[5] == CREATIVE_SECTORS.index("advertising")
    assert codes[1] == NON_CREATIVE_CODE
    keys, counts = m.categorise(values, unknown_as_raw=True)
    assert dict(counts) == {"": 2, "Bäckerei": 2, "Kiosk": 1}
    assert keys[1] == "Bäckerei" and keys[0] == "film_tv"


def test_user_overrides_map_unknown_categories() -> None:
    m = SectorMapping.load("names").with_overrides({"Bäckerei": "retail", "": "non_creative"})
    keys, unknown = m.sector_keys(["Bäckerei", None, "Kiosk"])
    assert list(keys[:2]) == ["retail", "non_creative"] and unknown == ["Kiosk"]
    with pytest.raises(ValueError, match="not sector keys"):
        m.with_overrides({"Kiosk": "kiosks"})


def test_edited_mapping_file_is_used(tmp_path, monkeypatch) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "category_names.csv").write_text(
        "# local register\nname,sector\nKreativwerkstatt,crafts_visual_arts\n", encoding="utf-8")
    monkeypatch.setenv("DISTRICT_PLANNER_RESOURCES", str(tmp_path))
    m = SectorMapping.load("names")
    assert m.lookup("kreativwerkstatt") == "crafts_visual_arts"
    assert m.source == tmp_path / "mappings" / "category_names.csv"


def test_bad_mapping_file_names_the_line(tmp_path) -> None:
    f = tmp_path / "naics.csv"
    f.write_text("code,sector,description\n5121,film_tv,ok\n5122,cinema,typo\n", "utf-8")
    with pytest.raises(SectorMappingError, match=r"naics.csv, data line 3: sector 'cinema'"):
        SectorMapping.load("naics", f)


def test_guess_scheme() -> None:
    assert guess_scheme(["541310", "722511"]) == "naics"
    assert guess_scheme(["5121", "5413", "7225"]) == "naics"
    assert guess_scheme(["58.11", "90.03"]) == "sic"
    assert guess_scheme(["5811", "9003", "0111"]) == "sic"
    assert guess_scheme(["amenity=cafe", "shop=art"]) == "osm"
    assert guess_scheme(["Film", "Musik"]) == "names"
    assert guess_scheme([5121], column="NAICS_2022") == "naics"
    assert guess_scheme(["5121"], column="wz2008") == "sic"


def test_normalisers() -> None:
    assert normalise_name("  Film,  TV & Radio ") == "film tv and radio"
    assert normalise_name("Bildende Künste") == "bildende kuenste"
    assert normalise_code("J 58.11") == "5811"
    assert normalise_code(5121.0) == "5121"
    assert normalise_code("film") == ""


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12), st.integers(0, 999999)),
                max_size=40))
def test_every_value_gets_a_code_and_unknowns_come_from_the_input(values: list) -> None:
    for scheme in ("names", "naics"):
        m = SectorMapping.load(scheme)
        codes, unknown = m.map_values(values)
        assert codes.dtype == np.int8 and len(codes) == len(values)
        seen = {"" if v is None or str(v).strip() == "" else str(v).strip() for v in values}
        assert set(unknown) <= seen
        assert len(unknown) == len(set(unknown))


def test_institution_types_from_names_and_osm_tags() -> None:
    from districtplanner.analysis.sector_mapping import map_institution_types

    values = ["Museum", "tourism=gallery", "Konzerthaus", "amenity=theatre", "Stadtbibliothek",
              "music_venue", "Kunsthochschule", "Zoo", None, "Zoo"]
    types, unknown = map_institution_types(values)
    assert list(types[:7]) == ["museum", "gallery", "music_venue", "theatre", "library",
                               "music_venue", "art_school"]
    assert types[7] == "Zoo" and unknown == [("Zoo", 2), ("", 1)]


def test_street_furniture_is_marked_not_an_establishment() -> None:
    m = SectorMapping.load("osm")
    values = ["amenity=bench", "amenity=cafe", "amenity=vending_machine;shop=kiosk",
              "amenity=bicycle_parking", None, "amenity=waste_basket", "amenity=bench",
              "leisure=picnic_table", "shop=books"]
    mask, tags = m.not_establishments(values)
    assert mask.tolist() == [True, False, True, True, False, True, True, True, False]
    assert tags[0] == ("amenity=bench", 2) and len(tags) == 5
    # Bare values of an 'amenity' column, and a user's own choice wins over the file.
    assert m.not_establishments(["bench", "theatre"], "amenity")[0].tolist() == [True, False]
    own = m.with_overrides({"amenity=bench": "crafts_visual_arts"})
    assert not own.not_establishments(["amenity=bench"])[0].any()
    assert not SectorMapping.load("names").not_establishments(["bench"])[0].any()


def test_not_business_column_of_an_edited_file(tmp_path) -> None:
    f = tmp_path / "osm.csv"
    f.write_text("key,value,sector,business,description\namenity,*,non_creative,yes,x\n"
                 "amenity,atm,non_creative,no,Cash machine\n", "utf-8")
    m = SectorMapping.load("osm", f)
    assert m.not_establishments(["amenity=atm", "amenity=bank"])[0].tolist() == [True, False]


def test_cinemas_arts_centres_events_venues_and_studios_are_institution_types() -> None:
    from districtplanner.analysis.sector_mapping import map_institution_types

    types, unknown = map_institution_types(["amenity=cinema", "amenity=arts_centre",
                                            "amenity=events_venue", "amenity=studio", "Kino",
                                            "Tonstudio", "amenity=theatre"])
    assert types.tolist() == ["cinema", "arts_centre", "events_venue", "studio", "cinema",
                              "studio", "theatre"]
    assert unknown == []
