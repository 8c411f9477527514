"""Generate nlu/kota.yml: the `kota` lookup table and synonyms for the Rasa NLU.

Source of the region list
    npm package idn-area-data 4.0.1 (https://github.com/fityannugroho/idn-area-data),
    file data/regencies.csv: all 514 Indonesian regencies and cities (416 Kabupaten, 98 Kota)
    with their Kemendagri region codes. The package's docs/references.md names the Kepmendagri
    on "Pemberian dan Pemutakhiran Kode, Data Wilayah Administrasi Pemerintahan, dan Pulau"
    (latest: Kepmendagri No. 300.2.2-2138 Tahun 2025) as its source.
    Licence: the package code is MIT; its data files are under the Open Database License (ODbL)
    1.0, https://opendatacommons.org/licenses/odbl/1-0/ . An unmodified copy of regencies.csv
    is kept in tools/data/ with tools/data/regencies.csv.NOTICE (attribution + licence URI), as
    the ODbL allows. The generated lookup table is a derived database and stays under the ODbL.

What the generator writes
    * lookup `kota`: every regency/city name, lower-case, without "Kabupaten"/"Kota"
      ("Kabupaten Bandung Barat" -> "bandung barat"; Kabupaten and Kota Bandung -> "bandung"),
      plus the spellings and abbreviations in SYNONYMS and the regions in EXTRA_LOOKUP;
      de-duplicated.
    * names that are everyday words (AMBIGUOUS: Batu, Metro, Puncak, Batang, Buru) enter the
      lookup only with their prefix ("kota batu", "kab batang", "kabupaten batang"), so the
      word alone ("10 batang", "buru-buru") does not light up the city feature.
    * synonyms: canonical Title Case name <- what sellers type (jkt -> Jakarta).

Why the order of the lookup entries matters
    Rasa joins a lookup table into one regex, `\\bentry1\\b|\\bentry2\\b|...`, in file order, and
    Python's regex takes the first alternative that matches. If "bandung" came before
    "bandung barat", only "bandung" of "bandung barat" would be marked. Entries are therefore
    sorted alphabetically with each name placed before the names it is a prefix of.

Usage (Python 3.11, standard library only), from anywhere:
    python3 tools/kota_lookup.py           # rewrite nlu/kota.yml
    python3 tools/kota_lookup.py --check   # exit 1 if nlu/kota.yml is not up to date
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_CSV = ROOT / "tools" / "data" / "regencies.csv"
OUTPUT_YML = ROOT / "nlu" / "kota.yml"

SOURCE = "idn-area-data 4.0.1 (npm), data/regencies.csv"
EXPECTED = {"Kabupaten": 416, "Kota": 98}

# Longest first: "Kabupaten Administrasi Kepulauan Seribu", "Kota Administrasi Jakarta Pusat".
PREFIXES = (
    ("Kabupaten Administrasi ", "Kabupaten"),
    ("Kota Administrasi ", "Kota"),
    ("Kabupaten ", "Kabupaten"),
    ("Kota ", "Kota"),
)

# Region names that are also common words in sellers' messages.
AMBIGUOUS = {"Batu", "Metro", "Puncak", "Batang", "Buru"}

# Not regencies/cities, but destinations sellers name (islands, provinces, a big town).
EXTRA_LOOKUP = ("aceh", "bali", "lampung", "lombok", "madura", "papua", "timika")

# Regency/city names that get a different canonical value (sellers know Surakarta as Solo).
CANONICAL_OVERRIDE = {"Surakarta": "Solo"}

# Canonical values that are not a regency/city name in the source list.
EXTRA_CANONICAL = {"Jakarta", "Purwokerto"}

# Canonical name -> what sellers type. Abbreviations only where they are really used.
SYNONYMS: dict[str, tuple[str, ...]] = {
    # Jabodetabek, Jawa Barat, Banten
    "Jakarta": ("jkt", "dki"),
    "Jakarta Barat": ("jakbar",),
    "Jakarta Timur": ("jaktim",),
    "Jakarta Selatan": ("jaksel",),
    "Jakarta Utara": ("jakut",),
    "Jakarta Pusat": ("jakpus",),
    "Kepulauan Seribu": ("pulau seribu",),
    "Tangerang": ("tng", "tgr"),
    "Tangerang Selatan": ("tangsel",),
    "Bekasi": ("bks",),
    "Depok": ("dpk",),
    "Bogor": ("bgr",),
    "Bandung": ("bdg",),
    "Bandung Barat": ("kbb",),
    "Cirebon": ("crb",),
    "Tasikmalaya": ("tasik",),
    # Jawa Tengah, DIY, Jawa Timur, Bali
    "Semarang": ("smg",),
    "Solo": ("surakarta", "slo"),
    "Yogyakarta": ("jogja", "yogya", "jogjakarta", "jogya"),
    "Gunungkidul": ("gunung kidul",),
    "Kulon Progo": ("kulonprogo",),
    "Purwokerto": ("pwt",),
    "Surabaya": ("sby",),
    "Malang": ("mlg",),
    "Denpasar": ("dps",),
    # Sumatera
    "Medan": ("mdn",),
    "Pematangsiantar": ("pematang siantar", "siantar"),
    "Tanjungbalai": ("tanjung balai",),
    "Padangsidimpuan": (
        "padang sidimpuan",
        "padangsidempuan",
        "padang sidempuan",
        "sidempuan",
    ),
    "Gunungsitoli": ("gunung sitoli",),
    "Tebing Tinggi": ("tebingtinggi",),
    "Deli Serdang": ("deliserdang",),
    "Serdang Bedagai": ("sergai",),
    "Labuhanbatu": ("labuhan batu",),
    "Labuhanbatu Selatan": ("labuhan batu selatan", "labusel"),
    "Labuhanbatu Utara": ("labuhan batu utara", "labura"),
    "Tapanuli Selatan": ("tapsel",),
    "Tapanuli Utara": ("taput",),
    "Tapanuli Tengah": ("tapteng",),
    "Humbang Hasundutan": ("humbahas",),
    "Mandailing Natal": ("madina",),
    "Padang": ("pdg",),
    "Bukittinggi": ("bukit tinggi",),
    "Padang Panjang": ("padangpanjang",),
    "Sawahlunto": ("sawah lunto",),
    "Lima Puluh Kota": ("limapuluh kota",),
    "Kepulauan Mentawai": ("mentawai",),
    "Pekanbaru": ("pku",),
    "Kepulauan Meranti": ("meranti",),
    "Batam": ("btm",),
    "Tanjung Pinang": ("tanjungpinang",),
    "Kepulauan Anambas": ("anambas",),
    "Pangkal Pinang": ("pangkalpinang",),
    "Batanghari": ("batang hari",),
    "Tanjung Jabung Barat": ("tanjabbar",),
    "Tanjung Jabung Timur": ("tanjabtim",),
    "Sungai Penuh": ("sungaipenuh",),
    "Palembang": ("plg",),
    "Musi Banyuasin": ("muba",),
    "Ogan Komering Ulu": ("oku",),
    "Ogan Komering Ilir": ("oki",),
    "Lubuk Linggau": ("lubuklinggau",),
    "Pagar Alam": ("pagaralam",),
    "Mukomuko": ("muko muko", "muko-muko"),
    "Bandar Lampung": ("bandarlampung",),
    "Lampung Selatan": ("lamsel",),
    "Lampung Tengah": ("lamteng",),
    "Lampung Timur": ("lamtim",),
    "Lampung Utara": ("lampura",),
    # Kalimantan
    "Pontianak": ("ptk",),
    "Banjarmasin": ("bjm",),
    "Banjarbaru": ("banjar baru",),
    "Palangkaraya": ("palangka raya",),
    "Kotawaringin Timur": ("kotim",),
    "Kotawaringin Barat": ("kobar",),
    "Balikpapan": ("bpn",),
    "Samarinda": ("smd",),
    "Kutai Kartanegara": ("kukar",),
    "Kutai Timur": ("kutim",),
    "Kutai Barat": ("kubar",),
    # Sulawesi
    "Makassar": ("mks", "makasar"),
    "Parepare": ("pare pare", "pare-pare"),
    "Pangkajene dan Kepulauan": ("pangkep",),
    "Kepulauan Selayar": ("selayar",),
    "Sidenreng Rappang": ("sidrap",),
    "Polewali Mandar": ("polman",),
    "Manado": ("mdo", "mnd"),
    "Kepulauan Sangihe": ("sangihe",),
    "Kepulauan Talaud": ("talaud",),
    "Kepulauan Siau Tagulandang Biaro": ("sitaro",),
    "Bolaang Mongondow": ("bolmong",),
    "Parigi Moutong": ("parimo",),
    "Toli-Toli": ("toli toli", "tolitoli"),
    "Tojo Una Una": ("tojo una-una", "touna"),
    "Bau Bau": ("baubau", "bau-bau"),
    # Nusa Tenggara, Maluku, Papua
    "Lombok Barat": ("lobar",),
    "Lombok Timur": ("lotim",),
    "Tidore Kepulauan": ("tidore",),
    "Pulau Morotai": ("morotai",),
    "Pulau Taliabu": ("taliabu",),
    "Kepulauan Tanimbar": ("tanimbar",),
    "Kepulauan Yapen": ("yapen",),
    "Fak Fak": ("fakfak", "fak-fak"),
}


def read_regions(path: Path) -> list[tuple[str, str, str]]:
    """(code, kind, name) rows: kind is "Kabupaten" or "Kota", name has no prefix."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            full = record["name"].strip()
            for prefix, kind in PREFIXES:
                if full.startswith(prefix):
                    rows.append((record["code"], kind, full[len(prefix) :].strip()))
                    break
            else:
                raise ValueError(f"{path}: no Kabupaten/Kota prefix in {full!r}")
    counts = {kind: sum(1 for _, k, _ in rows if k == kind) for kind in EXPECTED}
    if counts != EXPECTED:
        print(f"note: {path.name} has {counts}, expected {EXPECTED}", file=sys.stderr)
    return rows


def lookup_order(entry: str) -> str:
    """Alphabetical, but "bandung barat" before "bandung" (see the module docstring)."""
    return entry + "\uffff"


def build(rows: list[tuple[str, str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    names = {name for _, _, name in rows}
    canonicals = {CANONICAL_OVERRIDE.get(name, name) for name in names} | EXTRA_CANONICAL
    unknown = sorted(set(SYNONYMS) - canonicals)
    if unknown:
        raise ValueError(f"synonym canonicals not in the region list: {unknown}")

    lookup: set[str] = set()
    for _, kind, name in rows:
        low = name.lower()
        if name in AMBIGUOUS:
            lookup.update([f"kota {low}"] if kind == "Kota" else [f"kab {low}", f"kabupaten {low}"])
        else:
            lookup.add(low)
    lookup.update(EXTRA_LOOKUP)

    synonyms: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for canonical, spellings in SYNONYMS.items():
        examples = [canonical.lower(), *spellings]
        for example in examples:
            if example != example.lower() or example.strip() != example:
                raise ValueError(f"synonym example must be lower-case and trimmed: {example!r}")
            if seen.setdefault(example, canonical) != canonical:
                raise ValueError(f"{example!r} maps to {seen[example]} and {canonical}")
        synonyms[canonical] = list(dict.fromkeys(examples))
        lookup.update(examples)

    ordered = sorted(lookup, key=lookup_order)
    for i, entry in enumerate(ordered):  # no entry may hide a longer one listed after it
        for later in ordered[i + 1 :]:
            if later.startswith(entry + " ") or later.startswith(entry + "-"):
                raise AssertionError(f"{entry!r} is listed before {later!r}")
    return ordered, synonyms


def render(
    rows: list[tuple[str, str, str]], lookup: list[str], synonyms: dict[str, list[str]]
) -> str:
    kab = sum(1 for _, kind, _ in rows if kind == "Kabupaten")
    lines = [
        'version: "3.1"',
        "",
        "# GENERATED by tools/kota_lookup.py - edit that script, then run it; do not edit by hand.",
        "#",
        "# Indonesian regencies and cities for the `kota` entity (roles `asal` = origin,",
        "# `tujuan` = destination; the roles are declared in the domain). The lookup table feeds",
        "# RegexFeaturizer, so the CRF recognises cities it never saw in an example; the synonyms",
        "# map what sellers type to one canonical name.",
        "#",
        f"# Source: {SOURCE}: all {len(rows)} kabupaten/kota ({kab} kabupaten,",
        f"# {len(rows) - kab} kota) with Kemendagri region codes, by Fityan,",
        "# https://github.com/fityannugroho/idn-area-data (package code MIT).",
        "# Contains information from idn-area-data, which is made available here under the",
        "# Open Database License (ODbL) 1.0: https://opendatacommons.org/licenses/odbl/1-0/",
        "#",
        f"# {len(lookup)} lookup entries: names without the Kabupaten/Kota prefix, lower-case,",
        "# de-duplicated, plus common spellings, abbreviations and a few islands/provinces.",
        f"# Everyday words ({', '.join(sorted(AMBIGUOUS))}) appear only with their prefix,",
        '# e.g. "kota batu", "kab batang". Longer names come before the names they start with',
        '# ("bandung barat" before "bandung") because Rasa matches the entries in file order.',
        "nlu:",
        "  - lookup: kota",
        "    examples: |",
        *(f"      - {entry}" for entry in lookup),
        "",
        "  # Canonical names for what sellers type. EntitySynonymMapper compares lower-cased text.",
    ]
    for canonical, examples in synonyms.items():
        lines.append(f"  - synonym: {canonical}")
        lines.append("    examples: |")
        lines.extend(f"      - {example}" for example in examples)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    parser.add_argument("--source", type=Path, default=SOURCE_CSV)
    parser.add_argument("--output", type=Path, default=OUTPUT_YML)
    args = parser.parse_args(argv)

    rows = read_regions(args.source)
    lookup, synonyms = build(rows)
    text = render(rows, lookup, synonyms)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python3 tools/kota_lookup.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(
        f"{args.output}: {len(rows)} regions -> {len(lookup)} lookup entries, "
        f"{len(synonyms)} synonyms ({sum(len(v) for v in synonyms.values())} examples)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
