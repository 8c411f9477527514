"""Generate bot/broadcast/zona_kota.tsv: which time zone (WIB, WITA, WIT) a city name is in.

Why a generated file
    Drip series send a lesson at a sensible local hour (bot/broadcast/drip.py), and a seller's
    only location is the city they typed in their profile. The bot must not read tools/data at
    run time, so this script turns the region list into a small data file inside the package.

Source
    tools/data/regencies.csv (idn-area-data 4.0.1, see tools/data/regencies.csv.NOTICE): all 514
    kabupaten/kota with their province code. The derived table stays under the ODbL 1.0. Names
    are read with tools/kota_lookup.py's rules, and its SYNONYMS (jogja, sby, mks, ...) are
    included, so the NLU's `kota` entity and this table recognise the same spellings.

Province -> zone (Indonesia has no daylight saving)
    WIB (UTC+7): Sumatra, Bangka Belitung, Riau Islands, Java, Kalimantan Barat and Tengah.
    WITA (UTC+8): Bali, NTB, NTT, Kalimantan Selatan, Timur and Utara, all of Sulawesi.
    WIT (UTC+9): Maluku, Maluku Utara, all Papua provinces.

What the file holds: one `name<TAB>zone<TAB>match` line per name, lower-case, hyphens as spaces
    * every regency/city name without "Kabupaten"/"Kota"; a name used in two zones (Banjar:
      Kota Banjar in Jawa Barat, Kabupaten Banjar in Kalimantan Selatan) only with its prefix
      ("kota banjar", "kabupaten banjar", "kab banjar");
    * province names and their usual abbreviations (jabar, sulsel, ntt), a few islands;
    * match = "exact" for names that are also everyday words (kota_lookup.AMBIGUOUS): the bot
      accepts them only as the whole answer ("Batu"), never as one word inside a longer one.
      Bare "puncak" is left out: sellers mean the Puncak pass near Bogor (WIB) more often than
      Kabupaten Puncak in Papua Tengah, which stays reachable with its prefix.

Usage (Python 3.11, standard library only), from anywhere:
    python3 tools/zona_kota.py           # rewrite bot/broadcast/zona_kota.tsv
    python3 tools/zona_kota.py --check   # exit 1 if the file is not up to date
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

# kota_lookup is a sibling script, not a package: make it importable from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import kota_lookup

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_TSV = ROOT / "bot" / "broadcast" / "zona_kota.tsv"

WIB, WITA, WIT = "WIB", "WITA", "WIT"
ZONE_BY_PROVINCE: dict[str, str] = {
    **dict.fromkeys(("11", "12", "13", "14", "15", "16", "17", "18", "19", "21"), WIB),
    **dict.fromkeys(("31", "32", "33", "34", "35", "36"), WIB),
    **dict.fromkeys(("61", "62"), WIB),
    **dict.fromkeys(("51", "52", "53"), WITA),
    **dict.fromkeys(("63", "64", "65"), WITA),
    **dict.fromkeys(("71", "72", "73", "74", "75", "76"), WITA),
    **dict.fromkeys(("81", "82", "91", "92", "93", "94", "95", "96"), WIT),
}

# Province names as sellers write them, with the usual abbreviations.
PROVINCES: dict[str, tuple[str, ...]] = {
    "11": ("aceh", "nanggroe aceh darussalam", "nad"),
    "12": ("sumatera utara", "sumatra utara", "sumut"),
    "13": ("sumatera barat", "sumatra barat", "sumbar"),
    "14": ("riau",),
    "15": ("jambi",),
    "16": ("sumatera selatan", "sumatra selatan", "sumsel"),
    "17": ("bengkulu",),
    "18": ("lampung",),
    "19": ("bangka belitung", "kepulauan bangka belitung", "babel", "bangka", "belitung"),
    "21": ("kepulauan riau", "kepri"),
    "31": ("dki jakarta", "jakarta"),
    "32": ("jawa barat", "jabar"),
    "33": ("jawa tengah", "jateng"),
    "34": ("di yogyakarta", "daerah istimewa yogyakarta", "diy"),
    "35": ("jawa timur", "jatim", "madura"),
    "36": ("banten",),
    "51": ("bali",),
    "52": ("nusa tenggara barat", "ntb", "lombok", "sumbawa"),
    "53": ("nusa tenggara timur", "ntt", "flores", "sumba", "timor"),
    "61": ("kalimantan barat", "kalbar"),
    "62": ("kalimantan tengah", "kalteng"),
    "63": ("kalimantan selatan", "kalsel"),
    "64": ("kalimantan timur", "kaltim"),
    "65": ("kalimantan utara", "kaltara"),
    "71": ("sulawesi utara", "sulut"),
    "72": ("sulawesi tengah", "sulteng"),
    "73": ("sulawesi selatan", "sulsel"),
    "74": ("sulawesi tenggara", "sultra"),
    "75": ("gorontalo",),
    "76": ("sulawesi barat", "sulbar"),
    "81": ("maluku",),
    "82": ("maluku utara", "malut"),
    "91": ("papua",),
    "92": ("papua barat", "pabar"),
    "93": ("papua selatan",),
    "94": ("papua tengah", "timika"),
    "95": ("papua pegunungan",),
    "96": ("papua barat daya",),
}
# Islands wholly in one zone (Kalimantan is split, so it is not here).
ISLANDS: dict[str, str] = {"sumatera": WIB, "sumatra": WIB, "jawa": WIB, "sulawesi": WITA}
# kota_lookup's canonical names that are not a regency/city in the source list.
EXTRA_CANONICAL_ZONE: dict[str, str] = {"Jakarta": WIB, "Purwokerto": WIB}
EXTRA_CANONICAL_PROVINCE: dict[str, str] = {"Jakarta": "31", "Purwokerto": "33"}
NO_PROVINCE = "-"  # islands, and names shared by regencies in two provinces
NOT_BARE = {"Puncak"}


def key(name: str) -> str:
    """The form the bot looks names up in (bot/broadcast/city_zone.normalise agrees)."""
    return " ".join(name.lower().replace("-", " ").split())


def read_provinces(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["province_code"] for row in csv.DictReader(handle)}


def build(
    rows: list[tuple[str, str, str]], province_of: dict[str, str]
) -> dict[str, tuple[str, str, str]]:
    """name -> (zone, match, province code or NO_PROVINCE)."""
    zones_of_name: dict[str, set[str]] = {}
    provinces_of_name: dict[str, set[str]] = {}
    for code, _, name in rows:
        zones_of_name.setdefault(name, set()).add(ZONE_BY_PROVINCE[province_of[code]])
        provinces_of_name.setdefault(name, set()).add(province_of[code])

    table: dict[str, tuple[str, str, str]] = {}

    def put(name: str, zone: str, match: str = "any", province: str = NO_PROVINCE) -> None:
        name = key(name)
        known = table.setdefault(name, (zone, match, province))
        if known[0] != zone:
            raise ValueError(f"{name!r} would be in {known[0]} and {zone}")
        if known[2] != province:  # same zone, two provinces: keep the zone, drop the province
            table[name] = (zone, known[1], NO_PROVINCE)

    def only(values: set[str]) -> str:
        return next(iter(values)) if len(values) == 1 else NO_PROVINCE

    for code, kind, name in rows:
        province = province_of[code]
        zone = ZONE_BY_PROVINCE[province]
        prefixed = [f"kota {name}"] if kind == "Kota" else [f"kabupaten {name}", f"kab {name}"]
        if len(zones_of_name[name]) > 1 or name in NOT_BARE:
            for full in prefixed:
                put(full, zone, province=province)
        else:
            match = "exact" if name in kota_lookup.AMBIGUOUS else "any"
            put(name, zone, match, only(provinces_of_name[name]))

    def canonical(name: str) -> str:
        return kota_lookup.CANONICAL_OVERRIDE.get(name, name)

    zone_of_canonical = {
        canonical(name): next(iter(zones))
        for name, zones in zones_of_name.items()
        if len(zones) == 1
    } | EXTRA_CANONICAL_ZONE
    province_of_canonical = {
        canonical(name): only(provinces) for name, provinces in provinces_of_name.items()
    } | EXTRA_CANONICAL_PROVINCE
    for name, spellings in kota_lookup.SYNONYMS.items():
        for spelling in (name, *spellings):
            put(spelling, zone_of_canonical[name], province=province_of_canonical[name])
    for province, names in PROVINCES.items():
        for name in names:
            put(name, ZONE_BY_PROVINCE[province], province=province)
    for name, zone in ISLANDS.items():
        put(name, zone)
    return dict(sorted(table.items()))


def render(table: dict[str, tuple[str, str, str]]) -> str:
    counts = {zone: sum(1 for z, *_ in table.values() if z == zone) for zone in (WIB, WITA, WIT)}
    lines = [
        "# GENERATED by tools/zona_kota.py - edit that script, then run it; do not edit by hand.",
        "# Time zone and province of Indonesian regencies/cities, provinces and common spellings,",
        "# for drip-series local hours and province segments (bot/broadcast/city_zone.py).",
        f"# {len(table)} names: {', '.join(f'{n} {z}' for z, n in counts.items())}.",
        "# Columns: name (lower-case, hyphens as spaces), zone, match (any | exact),",
        "# province (Kemendagri code; - for islands and names shared by two provinces).",
        f"# Source: {kota_lookup.SOURCE}, by Fityan,",
        "# https://github.com/fityannugroho/idn-area-data (package code MIT).",
        "# Contains information from idn-area-data, which is made available here under the",
        "# Open Database License (ODbL) 1.0: https://opendatacommons.org/licenses/odbl/1-0/",
        *(f"{name}\t{zone}\t{match}\t{prov}" for name, (zone, match, prov) in table.items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    parser.add_argument("--source", type=Path, default=kota_lookup.SOURCE_CSV)
    parser.add_argument("--output", type=Path, default=OUTPUT_TSV)
    args = parser.parse_args(argv)

    rows = kota_lookup.read_regions(args.source)
    table = build(rows, read_provinces(args.source))
    text = render(table)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python3 tools/zona_kota.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(table)} names")
    return 0


if __name__ == "__main__":
    sys.exit(main())
