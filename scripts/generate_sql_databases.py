"""Generate the SQLite databases of the "Analyse de données" track (exercises/analyse-donnees/sql-commerce/).

    python3 scripts/generate_sql_databases.py

Writes data/commerce.sql (the visible database), data/commerce-b.sql and data/commerce-c.sql (the hidden ones: the
same schema, other data) into every exercise folder of the module: each folder holds identical copies, since an
exercise folder is self-contained. Each file is an SQL script (CREATE TABLE, then INSERT) that the sql-query
grader runs to build a fresh database for every check.

Deterministic: every database has its own fixed seed (random.Random(seed)); re-running rewrites identical files.
Standard library only. Changing the data changes every check's expected result (computed from each exercise's
solution/requete.sql at import): after a change, check that each exercise's filters still select some rows, but
not all, in every database.

Each database holds one planted tie (plant_tie): two shops of the same city with the same delivered sales, for
the ranking exercise (RANK() against ROW_NUMBER()).

Region ids are the official numbers of Morocco's twelve regions (1 Tanger-Tétouan-Al Hoceïma ... 12 Dakhla-Oued
Ed-Dahab), so a statement may name a region by its id; each database holds another subset of regions and cities,
in another order, with other populations, shops, clients and orders.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "exercises" / "analyse-donnees" / "sql-commerce"

# name -> seed and sizes. Casablanca-Settat (6) is in every database (the filtering exercise's region).
DATABASES = {
    "commerce": {"seed": 20250101, "regions": 10, "villes": 32, "boutiques": 40, "clients": 80, "commandes": 300,
                 "population_spread": 0.0},
    "commerce-b": {"seed": 20250202, "regions": 9, "villes": 27, "boutiques": 34, "clients": 66, "commandes": 240,
                   "population_spread": 0.25},
    "commerce-c": {"seed": 20250303, "regions": 12, "villes": 38, "boutiques": 48, "clients": 96, "commandes": 380,
                   "population_spread": 0.25},
}
ALWAYS_REGION = 6

# Official region number -> (name, [(city, population at the 2014 census, rounded)]).
REGIONS = {
    1: ("Tanger-Tétouan-Al Hoceïma", [("Tanger", 947952), ("Tétouan", 380787), ("Ksar El Kébir", 126617),
                                      ("Larache", 125008), ("Fnideq", 77436), ("Ouazzane", 59606),
                                      ("Al Hoceïma", 56716), ("M'diq", 56227), ("Chefchaouen", 42786),
                                      ("Asilah", 31147)]),
    2: ("Oriental", [("Oujda", 494252), ("Nador", 161726), ("Berkane", 109237), ("Taourirt", 103398),
                     ("Guercif", 90880), ("Jerada", 43916), ("Zaïo", 35806), ("Bouarfa", 28846)]),
    3: ("Fès-Meknès", [("Fès", 1112072), ("Meknès", 632079), ("Taza", 148456), ("Sefrou", 79887),
                       ("Azrou", 54350), ("Taounate", 37616), ("El Hajeb", 34770), ("Ifrane", 14659)]),
    4: ("Rabat-Salé-Kénitra", [("Salé", 890403), ("Rabat", 577827), ("Kénitra", 431282), ("Témara", 313510),
                               ("Khémisset", 131542), ("Sidi Slimane", 92989), ("Tiflet", 86709),
                               ("Sidi Kacem", 74062), ("Skhirat", 59775)]),
    5: ("Béni Mellal-Khénifra", [("Khouribga", 196196), ("Béni Mellal", 192676), ("Khénifra", 117510),
                                 ("Fquih Ben Salah", 102019), ("Oued Zem", 95267), ("Kasba Tadla", 47343),
                                 ("Azilal", 30324)]),
    6: ("Casablanca-Settat", [("Casablanca", 3359818), ("Mohammédia", 208612), ("El Jadida", 194934),
                              ("Settat", 142250), ("Berrechid", 136634), ("Benslimane", 57101),
                              ("Sidi Bennour", 47914), ("Azemmour", 40920), ("Bouznika", 27028)]),
    7: ("Marrakech-Safi", [("Marrakech", 928850), ("Safi", 308508), ("El Kelâa des Sraghna", 95224),
                           ("Ben Guerir", 88480), ("Essaouira", 77966), ("Youssoufia", 67628),
                           ("Chichaoua", 21289)]),
    8: ("Drâa-Tafilalet", [("Errachidia", 92374), ("Ouarzazate", 71067), ("Midelt", 55304), ("Tinghir", 42044),
                           ("Zagora", 40069), ("Erfoud", 23637), ("Rissani", 20469)]),
    9: ("Souss-Massa", [("Agadir", 421844), ("Aït Melloul", 171847), ("Inezgane", 130333),
                        ("Oulad Teïma", 89387), ("Taroudant", 80149), ("Tiznit", 74699), ("Tata", 18611)]),
    10: ("Guelmim-Oued Noun", [("Guelmim", 118318), ("Tan-Tan", 73209), ("Sidi Ifni", 20051), ("Assa", 14919)]),
    11: ("Laâyoune-Sakia El Hamra", [("Laâyoune", 217732), ("Es-Semara", 57035), ("Boujdour", 42651),
                                     ("Tarfaya", 8122)]),
    12: ("Dakhla-Oued Ed-Dahab", [("Dakhla", 106277), ("Aousserd", 2192)]),
}

# Category -> shop name prefixes, and the range of an order's amount (MAD) there.
CATEGORIES = {
    "alimentation": (["Épicerie", "Supérette", "Marché", "Boulangerie"], (25.0, 900.0)),
    "librairie": (["Librairie", "Papeterie"], (30.0, 700.0)),
    "électronique": (["Électro", "Souk Digital", "Phone Center", "Tech"], (250.0, 6500.0)),
    "textile": (["Tissus", "Caftan", "Mode", "Dar Couture"], (120.0, 3000.0)),
}
SHOP_NAMES = ["Atlas", "Al Andalous", "Al Amal", "Annour", "Essalam", "Al Baraka", "Zitouna", "L'Oasis", "Argana",
              "Al Majd", "Yasmine", "Assafa", "Al Wafa", "Bab Chems", "Anfa", "La Médina", "Menara", "Oudaya",
              "Tilila", "Al Massira", "Chellah", "Ifriquia", "Tafraout", "Rif", "L'Étoile", "Sahara", "Toubkal",
              "Al Fath", "Nakhla", "Bouregreg"]
FIRST_NAMES = ["Youssef", "Fatima Zahra", "Mohamed", "Khadija", "Amine", "Salma", "Hamza", "Imane", "Omar", "Meryem",
               "Ayoub", "Hajar", "Mehdi", "Nouhaila", "Yassine", "Zineb", "Othmane", "Soukaina", "Anas", "Kawtar",
               "Ilyas", "Sara", "Karim", "Houda", "Rachid", "Loubna", "Hicham", "Najat", "Adil", "Asmae", "Abdellah",
               "Ghizlane", "Said", "Nadia", "Brahim", "Latifa"]
LAST_NAMES = ["Alaoui", "Benjelloun", "El Idrissi", "Bennani", "Tazi", "Chraibi", "El Amrani", "Berrada", "Lahlou",
              "Fassi Fihri", "Ouazzani", "El Mansouri", "Aït Ali", "Bouzidi", "Haddad", "Ziani", "Naciri", "Sebti",
              "Kettani", "Aït Lahcen", "Belhaj", "El Ouardi", "Zerhouni", "Skalli", "El Khattabi", "Benmoussa",
              "Amzil", "Ouchen"]
STATUSES = [("livree", 60), ("en_attente", 25), ("annulee", 15)]
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 6, 30)

SCHEMA = """CREATE TABLE regions (
  id INTEGER PRIMARY KEY,
  nom TEXT NOT NULL
);
CREATE TABLE villes (
  id INTEGER PRIMARY KEY,
  nom TEXT NOT NULL,
  region_id INTEGER NOT NULL REFERENCES regions(id),
  population INTEGER NOT NULL
);
CREATE TABLE boutiques (
  id INTEGER PRIMARY KEY,
  nom TEXT NOT NULL,
  ville_id INTEGER NOT NULL REFERENCES villes(id),
  categorie TEXT NOT NULL
);
CREATE TABLE clients (
  id INTEGER PRIMARY KEY,
  nom TEXT NOT NULL,
  ville_id INTEGER NOT NULL REFERENCES villes(id)
);
CREATE TABLE commandes (
  id INTEGER PRIMARY KEY,
  client_id INTEGER NOT NULL REFERENCES clients(id),
  boutique_id INTEGER NOT NULL REFERENCES boutiques(id),
  date_commande TEXT NOT NULL,
  montant REAL NOT NULL,
  statut TEXT NOT NULL
);
"""


def sql_value(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def insert(table: str, rows: list[tuple]) -> str:
    lines = ",\n".join("  (" + ", ".join(sql_value(v) for v in row) + ")" for row in rows)
    return f"INSERT INTO {table} VALUES\n{lines};\n"


def build(name: str, config: dict) -> str:
    rng = random.Random(config["seed"])
    # Regions: Casablanca-Settat and a subset of the others, in a shuffled order.
    others = [r for r in REGIONS if r != ALWAYS_REGION]
    region_ids = [ALWAYS_REGION] + rng.sample(others, config["regions"] - 1)
    rng.shuffle(region_ids)
    regions = [(rid, REGIONS[rid][0]) for rid in region_ids]

    # Cities: the first (largest) city of each region; in Casablanca-Settat, 2 to 4 more of over 100,000
    # inhabitants and 2 to 4 smaller ones (the filtering exercise keeps some, not all; a spread of 25 % keeps each
    # on its side); then others drawn from the other chosen regions.
    spread = config["population_spread"]
    chosen = [(rid, REGIONS[rid][1][0]) for rid in region_ids]
    large, small = REGIONS[ALWAYS_REGION][1][1:5], REGIONS[ALWAYS_REGION][1][5:]
    chosen += [(ALWAYS_REGION, city)
               for city in rng.sample(large, rng.randint(2, 4)) + rng.sample(small, rng.randint(2, 4))]
    pool = [(rid, city) for rid in region_ids if rid != ALWAYS_REGION for city in REGIONS[rid][1][1:]]
    chosen += rng.sample(pool, min(len(pool), config["villes"] - len(chosen)))
    rng.shuffle(chosen)
    villes = []
    for index, (rid, (city, population)) in enumerate(chosen, start=1):
        if spread:
            population = int(population * rng.uniform(1 - spread, 1 + spread))
        villes.append((index, city, rid, population))
    weights = [v[3] ** 0.5 for v in villes]  # shops and clients: more in bigger cities, not all in Casablanca

    # Shops: a unique name each; the category follows the prefix.
    boutiques, names = [], set()
    while len(boutiques) < config["boutiques"]:
        category = rng.choice(sorted(CATEGORIES))
        shop = f"{rng.choice(CATEGORIES[category][0])} {rng.choice(SHOP_NAMES)}"
        if shop in names:
            continue
        names.add(shop)
        ville = rng.choices(villes, weights)[0]
        boutiques.append((len(boutiques) + 1, shop, ville[0], category))

    clients, names = [], set()
    while len(clients) < config["clients"]:
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if person in names:
            continue
        names.add(person)
        clients.append((len(clients) + 1, person, rng.choices(villes, weights)[0][0]))

    # Orders: ids in date order.
    days = (LAST_DAY - FIRST_DAY).days

    def draft(shop, amount=None, status=None):
        low, high = CATEGORIES[shop[3]][1]
        if amount is None:
            amount = round(low * (high / low) ** rng.random(), 2)  # log-uniform: many small orders, a few large
        when = FIRST_DAY + timedelta(days=rng.randrange(days + 1))
        status = status or rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        return [when.isoformat(), rng.choice(clients)[0], shop[0], amount, status]

    drafts = [draft(rng.choice(boutiques)) for _ in range(config["commandes"])]
    plant_tie(rng, boutiques, drafts, draft)
    drafts.sort(key=lambda d: d[0])
    commandes = [(index, client, shop, when, amount, status)
                 for index, (when, client, shop, amount, status) in enumerate(drafts, start=1)]

    return (f"-- Database {name!r} of the track analyse-donnees, generated by scripts/generate_sql_databases.py "
            f"(seed {config['seed']}).\n-- Do not edit by hand: re-run the script.\n"
            + SCHEMA + insert("regions", regions) + insert("villes", villes) + insert("boutiques", boutiques)
            + insert("clients", clients) + insert("commandes", commandes))


def plant_tie(rng, boutiques, drafts, draft) -> None:
    """Give the two best shops (by delivered sales) of the city with the most shops the same delivered total, so
    that RANK() (1, 1, 3) differs from ROW_NUMBER() and DENSE_RANK(). Their amounts are whole quarters of a dirham,
    exact in floating point: the two sums are equal whatever the order SQLite adds them in."""
    by_city = {}
    for shop in boutiques:
        by_city.setdefault(shop[2], []).append(shop)
    city = max(sorted(by_city), key=lambda c: len(by_city[c]))
    assert len(by_city[city]) >= 3, "no city with three shops to plant a tie in"
    ids = {shop[0] for shop in by_city[city]}
    for order in drafts:
        if order[2] in ids:
            order[3] = round(order[3] * 4) / 4

    def sales(shop):
        return sum(o[3] for o in drafts if o[2] == shop[0] and o[4] == "livree")

    first, second = sorted(by_city[city], key=lambda shop: (-sales(shop), shop[0]))[:2]
    gap = sales(first) - sales(second)
    high = CATEGORIES[second[3]][1][1]
    while gap > 0:  # the second shop catches up with delivered orders of at most its category's largest amount
        amount = min(gap, round(rng.uniform(0.5, 1.0) * high * 4) / 4)
        drafts.append(draft(second, amount, "livree"))
        gap -= amount
    assert sales(first) == sales(second)


def main() -> None:
    scripts = {name: build(name, config) for name, config in DATABASES.items()}
    folders = sorted(p for p in MODULE.iterdir() if (p / "exercise.yaml").is_file())
    for folder in folders:
        (folder / "data").mkdir(exist_ok=True)
        for name, script in scripts.items():
            (folder / "data" / f"{name}.sql").write_text(script, encoding="utf-8")
    sizes = ", ".join(f"{name}.sql {len(s.encode('utf-8'))} bytes" for name, s in scripts.items())
    print(f"{len(folders)} exercise folder(s) written: {sizes}")


if __name__ == "__main__":
    main()
