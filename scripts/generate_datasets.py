"""Generate the CSV datasets of the pandas module of the "Analyse de données" track
(exercises/analyse-donnees/pandas-ventes/).

    python3 scripts/generate_datasets.py

Writes data/<variant>/*.csv into every exercise folder of the module, for three variants: `exemple` (the visible
check's dataset: the learner sees the values expected there), `autre` and `troisieme` (the hidden checks': the same
file names and columns, other rows, so that an answer typed in by hand fails). Each exercise has its own data:

- nettoyer-ventes: ventes.csv with dirty values (duplicated rows, missing values, amounts as text with a comma
  decimal, a space thousands separator or a " DH" suffix, city names in other cases, with spaces around, or
  spelled otherwise): every kind of dirt is planted in every variant;
- ventes-par-categorie: a clean ventes.csv (a favourite category per variant, so that the best one differs);
- fusionner-clients: commandes.csv, clients.csv and villes.csv (some orders name a client missing from
  clients.csv, another number per variant; city ids differ between variants);
- graphique-mensuel: ventes.csv with dates as JJ/MM/AAAA over another span of months per variant, one planted
  peak month per variant;
- classeur-regions: ventes_regions.xlsx, an Excel workbook with one sheet per region (a title row, an empty row,
  then the header mois / ville / montant), other regions, months, best region and peak month per variant.

Deterministic: every exercise and variant has its own fixed seed (random.Random(seed)); re-running rewrites
identical files. Standard library only: the workbook is written as SpreadsheetML parts in a zip with a fixed
timestamp and no compression (so no zlib version can change its bytes); pandas reads it with openpyxl in the data
image, as the exercise does. The assertions below check what the exercises rely on (the planted dirt,
distinct answers between variants); a failing one means a configuration to change. Changing the data changes the
expected observations: re-run `flask lms expect-content exercises/analyse-donnees/pandas-ventes` afterwards.
"""
from __future__ import annotations

import csv
import io
import random
import zipfile
from xml.sax.saxutils import escape, quoteattr
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "exercises" / "analyse-donnees" / "pandas-ventes"
VARIANTS = ("exemple", "autre", "troisieme")

# City -> (region, weight: more sales in bigger cities).
CITIES = {
    "Casablanca": ("Casablanca-Settat", 10), "Rabat": ("Rabat-Salé-Kénitra", 6), "Fès": ("Fès-Meknès", 6),
    "Marrakech": ("Marrakech-Safi", 6), "Tanger": ("Tanger-Tétouan-Al Hoceïma", 5), "Agadir": ("Souss-Massa", 4),
    "Oujda": ("Oriental", 3), "Meknès": ("Fès-Meknès", 4), "Kénitra": ("Rabat-Salé-Kénitra", 3),
    "Tétouan": ("Tanger-Tétouan-Al Hoceïma", 3),
}
# Category -> range of one sale's amount (MAD).
CATEGORIES = {
    "épicerie": (20.0, 600.0), "électroménager": (400.0, 9000.0), "textile": (80.0, 2500.0),
    "téléphonie": (300.0, 7000.0), "cosmétique": (40.0, 900.0), "librairie": (20.0, 500.0),
}
# The cleaning exercise: other spellings of some cities (after strip() and title(), the statement's corrections
# map them back).
SPELLINGS = {"Fès": "Fes", "Meknès": "Meknes", "Casablanca": "Casa", "Marrakech": "Marrakesh", "Tanger": "Tangier"}
FIRST_NAMES = ["Youssef", "Fatima Zahra", "Mohamed", "Khadija", "Amine", "Salma", "Hamza", "Imane", "Omar", "Meryem",
               "Ayoub", "Hajar", "Mehdi", "Nouhaila", "Yassine", "Zineb", "Othmane", "Soukaina", "Anas", "Kawtar",
               "Ilyas", "Sara", "Karim", "Houda", "Rachid", "Loubna", "Hicham", "Najat", "Adil", "Asmae"]
LAST_NAMES = ["Alaoui", "Benjelloun", "El Idrissi", "Bennani", "Tazi", "Chraibi", "El Amrani", "Berrada", "Lahlou",
              "Ouazzani", "El Mansouri", "Aït Ali", "Bouzidi", "Haddad", "Ziani", "Naciri", "Sebti", "Kettani",
              "Belhaj", "Zerhouni", "Skalli", "Benmoussa", "Amzil", "Ouchen"]

NETTOYER = {
    "exemple": {"seed": 20250411, "first_id": 1001, "ventes": 110, "doublons": 6, "sans_montant": 4,
                "sans_ville": 3, "sans_categorie": 5, "year": 2025},
    "autre": {"seed": 20250412, "first_id": 5001, "ventes": 140, "doublons": 9, "sans_montant": 6,
              "sans_ville": 2, "sans_categorie": 4, "year": 2024},
    "troisieme": {"seed": 20250413, "first_id": 8001, "ventes": 90, "doublons": 4, "sans_montant": 3,
                  "sans_ville": 5, "sans_categorie": 3, "year": 2025},
}
PAR_CATEGORIE = {
    "exemple": {"seed": 20250521, "first_id": 1, "ventes": 180, "villes": 8, "favori": "téléphonie", "year": 2025},
    "autre": {"seed": 20250522, "first_id": 301, "ventes": 220, "villes": 7, "favori": "électroménager",
              "year": 2024},
    "troisieme": {"seed": 20250523, "first_id": 701, "ventes": 150, "villes": 9, "favori": "textile", "year": 2025},
}
FUSIONNER = {
    "exemple": {"seed": 20250631, "clients": 40, "first_client": 101, "supprimes": 4, "commandes": 120,
                "orphelines": 5, "villes": 8, "year": 2025},
    "autre": {"seed": 20250632, "clients": 52, "first_client": 201, "supprimes": 5, "commandes": 160,
              "orphelines": 8, "villes": 9, "year": 2024},
    "troisieme": {"seed": 20250633, "clients": 34, "first_client": 501, "supprimes": 3, "commandes": 100,
                  "orphelines": 3, "villes": 7, "year": 2025},
}
MENSUEL = {
    "exemple": {"seed": 20250741, "first_id": 1, "start": (2025, 1), "months": 12, "per_month": (10, 16),
                "pic": (2025, 3)},
    "autre": {"seed": 20250742, "first_id": 501, "start": (2024, 7), "months": 12, "per_month": (9, 15),
              "pic": (2024, 12)},
    "troisieme": {"seed": 20250743, "first_id": 901, "start": (2025, 3), "months": 9, "per_month": (11, 18),
                  "pic": (2025, 8)},
}

# classeur-regions: region -> its cities (the sheet's rows), and per variant the regions (in the workbook's sheet
# order), the months, the planted best region and peak month.
REGION_CITIES = {
    "Casablanca-Settat": ["Casablanca", "Mohammédia", "El Jadida", "Settat"],
    "Rabat-Salé-Kénitra": ["Rabat", "Salé", "Kénitra"],
    "Fès-Meknès": ["Fès", "Meknès", "Ifrane"],
    "Marrakech-Safi": ["Marrakech", "Safi", "Essaouira"],
    "Tanger-Tétouan-Al Hoceïma": ["Tanger", "Tétouan", "Al Hoceïma"],
    "Souss-Massa": ["Agadir", "Taroudant", "Tiznit"],
    "Oriental": ["Oujda", "Nador", "Berkane"],
    "Drâa-Tafilalet": ["Errachidia", "Ouarzazate"],
    "Béni Mellal-Khénifra": ["Béni Mellal", "Khouribga"],
}
CLASSEUR = {
    "exemple": {"seed": 20250854, "regions": ["Rabat-Salé-Kénitra", "Casablanca-Settat", "Marrakech-Safi",
                                              "Fès-Meknès"],
                "start": (2025, 1), "months": 6, "meilleure": "Casablanca-Settat", "pic": (2025, 3)},
    "autre": {"seed": 20250852, "regions": ["Souss-Massa", "Oriental", "Tanger-Tétouan-Al Hoceïma",
                                            "Casablanca-Settat", "Drâa-Tafilalet"],
              "start": (2024, 7), "months": 6, "meilleure": "Tanger-Tétouan-Al Hoceïma", "pic": (2024, 12)},
    "troisieme": {"seed": 20250853, "regions": ["Béni Mellal-Khénifra", "Fès-Meknès", "Marrakech-Safi"],
                  "start": (2025, 1), "months": 9, "meilleure": "Marrakech-Safi", "pic": (2025, 8)},
}


# --- helpers --------------------------------------------------------------------------------------------------

def to_csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def amount(rng: random.Random, category: str) -> float:
    low, high = CATEGORIES[category]
    return round(low * (high / low) ** rng.random(), 2)  # log-uniform: many small sales, a few large


def random_day(rng: random.Random, year: int) -> date:
    first = date(year, 1, 1)
    return first + timedelta(days=rng.randrange((date(year, 12, 31) - first).days + 1))


def pick_cities(rng: random.Random, count: int) -> list[str]:
    """Casablanca and count - 1 other cities, in a shuffled order."""
    others = rng.sample([c for c in CITIES if c != "Casablanca"], count - 1)
    return ["Casablanca"] + others


def weighted(rng: random.Random, names: list[str], weights: list[float]) -> str:
    return rng.choices(names, weights)[0]


def money(value: float) -> str:
    return f"{value:.2f}"


# --- nettoyer-ventes ------------------------------------------------------------------------------------------

def dirty_city(rng: random.Random, city: str, form: str) -> str:
    if form == "lower":
        return city.lower()
    if form == "upper":
        return city.upper()
    if form == "spaces":
        left = rng.choice(["", " ", "  "])
        return left + city + rng.choice([" ", "  "] if not left else ["", " "])
    if form == "spelling":
        other = SPELLINGS[city]
        return rng.choice([other, other, other.lower(), other.upper(), " " + other])
    return city


def dirty_amount(value: float, form: str) -> str:
    text = money(value)
    if form == "comma":
        return text.replace(".", ",")
    if form == "thousands":  # 1 250,50
        whole, cents = text.split(".")
        return f"{int(whole):,}".replace(",", " ") + "," + cents
    if form == "dh":
        return text + " DH"
    return text


def build_nettoyer(config: dict) -> dict[str, str]:
    rng = random.Random(config["seed"])
    count = config["ventes"]
    cities = list(CITIES)
    weights = [CITIES[c][1] for c in cities]
    days = sorted(random_day(rng, config["year"]) for _ in range(count))
    sales = []
    for index, day in enumerate(days):
        category = rng.choice(sorted(CATEGORIES))
        sales.append({"id": config["first_id"] + index, "date": day.isoformat(), "ville": weighted(rng, cities, weights),
                      "categorie": category, "quantite": rng.randint(1, 5), "montant": amount(rng, category),
                      "city_form": rng.choices(["clean", "lower", "upper", "spaces"], [55, 15, 10, 20])[0],
                      "amount_form": rng.choices(["dot", "comma", "thousands", "dh"], [55, 25, 10, 10])[0],
                      "missing": None})
    # Plant each kind of dirt at least once, each on a row of its own that keeps all its values: an amount with a
    # thousands separator, each other spelling, each case, the other amount forms; then the missing values.
    big = [i for i, s in enumerate(sales) if s["montant"] >= 1000]
    assert big, "no sale of 1,000 MAD or more for the thousands separator"
    thousands = rng.choice(big)
    sales[thousands]["amount_form"] = "thousands"
    order = [i for i in range(count) if i != thousands]
    rng.shuffle(order)
    planted = iter(order)
    for city in sorted(SPELLINGS):
        sale = sales[next(planted)]
        sale["ville"], sale["city_form"] = city, "spelling"
    for form in ("lower", "upper", "spaces"):
        sales[next(planted)]["city_form"] = form
    for form in ("comma", "dh"):
        sales[next(planted)]["amount_form"] = form
    for sale in sales:
        if sale["city_form"] == "clean" and sale["ville"] in SPELLINGS and rng.random() < 0.25:
            sale["city_form"] = "spelling"
        if sale["amount_form"] == "thousands" and sale["montant"] < 1000:
            sale["amount_form"] = "comma"
    # Missing values: one field at most per row, on rows of their own.
    for field, key in (("montant", "sans_montant"), ("ville", "sans_ville"), ("categorie", "sans_categorie")):
        for _ in range(config[key]):
            sales[next(planted)]["missing"] = field
    rows = []
    for sale in sales:
        row = [sale["id"], sale["date"], dirty_city(rng, sale["ville"], sale["city_form"]), sale["categorie"],
               sale["quantite"], dirty_amount(sale["montant"], sale["amount_form"])]
        missing = {"ville": 2, "categorie": 3, "montant": 5}.get(sale["missing"])
        if missing is not None:
            row[missing] = ""
        rows.append(row)
    # Duplicates: exact copies of complete rows, somewhere after their original.
    complete = [i for i, s in enumerate(sales) if s["missing"] is None]
    for original in rng.sample(complete, config["doublons"]):
        position = rows.index(next(r for r in rows if r[0] == sales[original]["id"]))
        rows.insert(rng.randint(position + 1, len(rows)), list(rows[position]))
    texts = [tuple(map(str, r)) for r in rows]
    assert len(texts) - len(set(texts)) == config["doublons"]
    return {"ventes.csv": to_csv(["id_vente", "date", "ville", "categorie", "quantite", "montant"], rows)}


# --- ventes-par-categorie -------------------------------------------------------------------------------------

def build_par_categorie(config: dict) -> dict[str, str]:
    rng = random.Random(config["seed"])
    cities = pick_cities(rng, config["villes"])
    city_weights = [CITIES[c][1] * rng.uniform(0.6, 1.4) for c in cities]
    categories = sorted(CATEGORIES)
    # The favourite category sells more often (weights chosen so that it is the best one by sales).
    boost = {"téléphonie": 2.2, "électroménager": 1.6, "textile": 5.0}
    category_weights = [boost.get(c, 1.0) if c == config["favori"] else 1.0 for c in categories]
    rows = []
    for index, day in enumerate(sorted(random_day(rng, config["year"]) for _ in range(config["ventes"]))):
        category = weighted(rng, categories, category_weights)
        rows.append([config["first_id"] + index, day.isoformat(), weighted(rng, cities, city_weights), category,
                     rng.randint(1, 4), amount(rng, category)])
    totals = {}
    for row in rows:
        totals[row[3]] = totals.get(row[3], 0.0) + row[5]
    ranked = sorted(totals, key=totals.get, reverse=True)
    assert ranked[0] == config["favori"], f"best category {ranked[0]}, not {config['favori']}: {totals}"
    assert totals[ranked[0]] - totals[ranked[1]] > 100
    return {"ventes.csv": to_csv(["id_vente", "date", "ville", "categorie", "quantite", "montant"],
                                 [r[:5] + [money(r[5])] for r in rows])}


# --- fusionner-clients ----------------------------------------------------------------------------------------

def build_fusionner(config: dict) -> dict[str, str]:
    rng = random.Random(config["seed"])
    cities = pick_cities(rng, config["villes"])
    city_ids = rng.sample(range(1, 30), len(cities))  # other ids in each variant
    villes = sorted(([city_ids[i], city, CITIES[city][0]] for i, city in enumerate(cities)), key=lambda v: v[0])
    weights = [CITIES[c][1] for c in cities]
    # Clients: consecutive ids, some of them deleted since (their orders stay, with no known client).
    ids = list(range(config["first_client"], config["first_client"] + config["clients"] + config["supprimes"]))
    deleted = set(rng.sample(ids, config["supprimes"]))
    clients, names = [], set()
    for client_id in ids:
        while True:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if name not in names:
                break
        names.add(name)
        if client_id not in deleted:
            city = weighted(rng, cities, weights)
            clients.append([client_id, name, city_ids[cities.index(city)]])
    known = [c[0] for c in clients]
    client_choices = [rng.choice(known) for _ in range(config["commandes"] - config["orphelines"])]
    client_choices += [rng.choice(sorted(deleted)) for _ in range(config["orphelines"])]
    rng.shuffle(client_choices)
    days = sorted(random_day(rng, config["year"]) for _ in client_choices)
    commandes = []
    for index, (day, client_id) in enumerate(zip(days, client_choices), start=1):
        category = rng.choice(sorted(CATEGORIES))
        commandes.append([index, day.isoformat(), client_id, money(amount(rng, category))])
    assert sum(1 for c in commandes if c[2] in deleted) == config["orphelines"]
    return {"commandes.csv": to_csv(["id_commande", "date", "id_client", "montant"], commandes),
            "clients.csv": to_csv(["id_client", "nom", "id_ville"], clients),
            "villes.csv": to_csv(["id_ville", "ville", "region"], villes)}


# --- graphique-mensuel ----------------------------------------------------------------------------------------

def months(start: tuple[int, int], count: int) -> list[tuple[int, int]]:
    year, month = start
    result = []
    for _ in range(count):
        result.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def build_mensuel(config: dict) -> dict[str, str]:
    rng = random.Random(config["seed"])
    cities = list(CITIES)
    weights = [CITIES[c][1] for c in cities]
    categories = sorted(CATEGORIES)
    drafts = []
    for year, month in months(config["start"], config["months"]):
        low, high = config["per_month"]
        count = rng.randint(low, high) * (2 if (year, month) == config["pic"] else 1)
        last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
        for _ in range(count):
            category = rng.choice(categories)
            drafts.append((date(year, month, rng.randint(1, last)), weighted(rng, cities, weights), category,
                           amount(rng, category)))
    drafts.sort(key=lambda d: d[0])
    rows = [[config["first_id"] + i, day.strftime("%d/%m/%Y"), city, category, money(value)]
            for i, (day, city, category, value) in enumerate(drafts)]
    totals = {}
    for day, _, _, value in drafts:
        totals[(day.year, day.month)] = totals.get((day.year, day.month), 0.0) + round(value, 2)
    ranked = sorted(totals, key=totals.get, reverse=True)
    assert ranked[0] == config["pic"], f"peak month {ranked[0]}, not {config['pic']}"
    assert len(totals) == config["months"]
    return {"ventes.csv": to_csv(["id_vente", "date", "ville", "categorie", "montant"], rows)}


# --- classeur-regions: an Excel workbook, written with the standard library ------------------------------------

XLSX_FIXED_TIME = (2025, 1, 1, 0, 0, 0)  # every zip entry's timestamp: the same bytes on every run
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
# Cell styles (indexes into styles.xml's cellXfs): 0 plain, 1 bold (title, header), 2 an amount (#,##0.00).
PLAIN, BOLD, AMOUNT = 0, 1, 2
STYLES = (f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/>'
          '</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
          '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
          '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
          '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def column_letter(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]  # the sheets have a few columns only


def sheet_xml(rows: list[list], widths: list[int]) -> str:
    """A worksheet: rows of (value, style) cells, None for an empty cell; text as inline strings (no shared
    string table to keep in step), numbers as numbers."""
    lines = []
    for number, row in enumerate(rows, start=1):
        cells = []
        for column, cell in enumerate(row):
            if cell is None:
                continue
            value, style = cell
            ref = f"{column_letter(column)}{number}"
            if isinstance(value, str):
                cells.append(f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}" s="{style}"><v>{value}</v></c>')
        lines.append(f'<row r="{number}">{"".join(cells)}</row>')
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    return (f'<worksheet xmlns="{MAIN_NS}"><cols>{cols}</cols><sheetData>{"".join(lines)}</sheetData></worksheet>')


def xlsx(sheets: dict[str, str]) -> bytes:
    """A workbook of {sheet name: worksheet XML}, as bytes."""
    names = list(sheets)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names), "not an Excel sheet name"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
                        for i in range(1, len(names) + 1))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'{overrides}</Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{PACKAGE_REL_NS}"><Relationship Id="rId1" '
                        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
            + "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
                      for i, name in enumerate(names, start=1)) + '</sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE_REL_NS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(names) + 1))
            + f'<Relationship Id="rId{len(names) + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
              '</Relationships>'),
        "xl/styles.xml": STYLES,
        **{f"xl/worksheets/sheet{i}.xml": sheets[name] for i, name in enumerate(names, start=1)},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, date_time=XLSX_FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return buffer.getvalue()


def build_classeur(config: dict) -> dict[str, bytes]:
    rng = random.Random(config["seed"])
    spans = [f"{year}-{month:02d}" for year, month in months(config["start"], config["months"])]
    peak = f"{config['pic'][0]}-{config['pic'][1]:02d}"
    sheets, by_region, by_month = {}, {}, {}
    for region in config["regions"]:
        cities = REGION_CITIES[region]
        level = {city: rng.uniform(9000, 22000) * (1.0 if i else 2.2) for i, city in enumerate(cities)}
        if region == config["meilleure"]:
            level = {city: value * 1.7 for city, value in level.items()}
        rows = [[(f"Ventes mensuelles, région {region} (DH)", BOLD)], [], [("mois", BOLD), ("ville", BOLD),
                                                                          ("montant", BOLD)]]
        for month in spans:
            season = 1.55 if month == peak else rng.uniform(0.8, 1.15)
            for city in cities:
                value = round(level[city] * season * rng.uniform(0.85, 1.15), 2)
                rows.append([(month, PLAIN), (city, PLAIN), (value, AMOUNT)])
                by_region[region] = by_region.get(region, 0.0) + value
                by_month[month] = by_month.get(month, 0.0) + value
        sheets[region] = sheet_xml(rows, [12, 16, 14])
    regions = sorted(by_region, key=by_region.get, reverse=True)
    assert regions[0] == config["meilleure"], f"best region {regions[0]}, not {config['meilleure']}: {by_region}"
    # Totals far apart, so that the order of the regions does not hang on a rounding.
    assert all(by_region[a] - by_region[b] > 1000 for a, b in zip(regions, regions[1:])), by_region
    ranked = sorted(by_month, key=by_month.get, reverse=True)
    assert ranked[0] == peak and by_month[ranked[0]] - by_month[ranked[1]] > 1000, f"peak month {ranked[0]}"
    return {"ventes_regions.xlsx": xlsx(sheets)}


EXERCISES = {
    "nettoyer-ventes": (NETTOYER, build_nettoyer),
    "ventes-par-categorie": (PAR_CATEGORIE, build_par_categorie),
    "fusionner-clients": (FUSIONNER, build_fusionner),
    "graphique-mensuel": (MENSUEL, build_mensuel),
    "classeur-regions": (CLASSEUR, build_classeur),
}


def build_all() -> dict[str, str | bytes]:
    """Every data file of the module: {path relative to MODULE ("<exercise>/data/<variant>/<file>"): its text (CSV)
    or bytes (a workbook)}."""
    files = {}
    for exercise, (configs, builder) in EXERCISES.items():
        names = None
        for variant in VARIANTS:
            built = builder(configs[variant])
            assert names is None or sorted(built) == names, f"{exercise}: variants with other files"
            names = sorted(built)
            for name, text in built.items():
                files[f"{exercise}/data/{variant}/{name}"] = text
    return files


def encoded(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


def main() -> None:
    files = build_all()
    for exercise in EXERCISES:  # files of an earlier run that the generator no longer writes
        for path in sorted((MODULE / exercise / "data").rglob("*")):
            if path.is_file() and path.relative_to(MODULE).as_posix() not in files:
                path.unlink()
    for relative, content in files.items():
        path = MODULE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    sizes = ", ".join(f"{exercise} {sum(len(encoded(c)) for r, c in files.items() if r.startswith(exercise + '/'))}"
                      f" bytes" for exercise in EXERCISES)
    print(f"{len(files)} file(s) written under {MODULE.relative_to(ROOT)}: {sizes}")


if __name__ == "__main__":
    main()
