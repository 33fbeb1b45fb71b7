"""Generate the datasets of the "Intelligence artificielle" track
(exercises/intelligence-artificielle/apprentissage-automatique/).

    python3 scripts/generate_ml_datasets.py

Writes, into each exercise folder of the module:

- classer-clients, predire-loyers, classer-avis (the ml-model kind): data/train.csv (the features and the label
  column), data/test.csv (an `id` column and the features, no label: what the learner predicts) and
  answers/labels.csv (id, label, split: the answer key, half "public", half "private"; it never enters a
  container: the grader scores the learner's predictions.csv against it);
- valider-modele (the data-analysis kind): data/exemple/credits.csv (the visible variant), data/autre/credits.csv
  and data/troisieme/credits.csv (the hidden ones: the same columns, other rows).

Deterministic: every file has its own fixed seed (random.Random(seed)); re-running rewrites identical files.
Standard library only. `build_all()` returns {path relative to the module folder: text} without writing
(tests/unit/catalog/test_ml_datasets.py compares it with the committed files).

The labels follow a known model plus noise, so that a reasonable scikit-learn model reaches each exercise's
threshold on both parts of the test inputs and a constant prediction does not:

- classer-clients: churn ("resilie": oui/non) from a logistic model of the complaints, the tenure, the monthly
  amount, the commitment, internet at home and, a little, the age and the city;
- predire-loyers: the monthly rent (MAD) mostly additive in the surface, the city, the standing, the floor (with a
  lift), furnished or not, with a noise of about 7 % of the rent;
- classer-avis: short reviews in French or Arabic (some mixing both) built from sentiment phrases of the label's
  side, sometimes one phrase of the other side, and neutral filler; 3 % of the labels are flipped;
- valider-modele: credit applications ("accorde": 1/0) from a logistic model of the income, the requested amount,
  the current credits and the years in the job.

After a change, re-run `flask lms expect-content exercises/intelligence-artificielle` (valider-modele's expected
values) and `flask lms check-content` on the track, and check the private scores of the ml-model solutions.
"""
from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "exercises" / "intelligence-artificielle" / "apprentissage-automatique"


def to_csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def split_parts(rng: random.Random, ids: list[str]) -> dict[str, str]:
    """{id: "public" | "private"}: exactly half of the ids (rounded down) private, drawn at random."""
    private = set(rng.sample(ids, len(ids) // 2))
    return {i: "private" if i in private else "public" for i in ids}


def ml_files(rng: random.Random, prefix: str, label: str, features: list[str], rows: list[dict], n_train: int,
             fmt=str) -> dict[str, str]:
    """data/train.csv (the first n_train rows, features then label), data/test.csv (id then features) and
    answers/labels.csv (id, label, split) for the other rows."""
    train, test = rows[:n_train], rows[n_train:]
    ids = [f"{prefix}-{index:04d}" for index in range(1, len(test) + 1)]
    parts = split_parts(rng, ids)
    return {
        "data/train.csv": to_csv(features + [label], [[r[f] for f in features] + [r[label]] for r in train]),
        "data/test.csv": to_csv(["id"] + features, [[i] + [r[f] for f in features] for i, r in zip(ids, test)]),
        "answers/labels.csv": to_csv(["id", "label", "split"],
                                     [[i, fmt(r[label]), parts[i]] for i, r in zip(ids, test)]),
    }


# --- classer-clients: churn of a telecom operator's clients ----------------------------------------------------

CLIENT_CITIES = {  # city -> (weight, effect on the churn's logit)
    "Casablanca": (30, 0.25), "Rabat": (14, 0.0), "Marrakech": (12, 0.1), "Fès": (10, -0.1),
    "Tanger": (11, 0.2), "Agadir": (8, 0.0), "Meknès": (7, -0.15), "Oujda": (8, -0.25),
}
ENGAGEMENTS = {"aucun": (40, 1.3), "12_mois": (35, 0.0), "24_mois": (25, -1.4)}
FORFAITS = [49, 99, 149, 199, 249, 299, 399, 499]
CLIENT_FEATURES = ["age", "ville", "engagement", "anciennete_mois", "montant_mensuel", "nb_reclamations",
                   "internet_fixe"]


def weighted(rng: random.Random, table: dict) -> str:
    names = list(table)
    return rng.choices(names, [table[n][0] for n in names])[0]


def client_row(rng: random.Random) -> dict:
    age = min(75, max(18, int(rng.gauss(38, 12))))
    ville = weighted(rng, CLIENT_CITIES)
    engagement = weighted(rng, ENGAGEMENTS)
    anciennete = min(120, max(1, int(rng.expovariate(1 / 28)) + 1))
    montant = rng.choice(FORFAITS) + rng.choice([0, 0, 0, 20, 50])  # the plan, sometimes with an option
    reclamations = min(9, int(rng.expovariate(1 / 1.2)))
    internet = "oui" if rng.random() < 0.45 else "non"
    logit = 1.8 * (-0.9 + 0.9 * reclamations - 0.035 * anciennete + 0.006 * (montant - 200)
                   + ENGAGEMENTS[engagement][1] + CLIENT_CITIES[ville][1] - 0.02 * (age - 38)
                   + (-0.6 if internet == "oui" else 0.0))
    churn = "oui" if rng.random() < sigmoid(logit) else "non"
    return {"age": age, "ville": ville, "engagement": engagement, "anciennete_mois": anciennete,
            "montant_mensuel": montant, "nb_reclamations": reclamations, "internet_fixe": internet,
            "resilie": churn}


def build_clients() -> dict[str, str]:
    rng = random.Random(20260501)
    rows = [client_row(rng) for _ in range(1600 + 600)]
    return ml_files(rng, "cli", "resilie", CLIENT_FEATURES, rows, 1600)


# --- predire-loyers: monthly rents of flats ---------------------------------------------------------------------

RENT_CITIES = {  # city -> (weight, offset in MAD, price per m2 in MAD)
    "Casablanca": (26, 1800, 52), "Rabat": (16, 1500, 50), "Marrakech": (13, 800, 44), "Tanger": (12, 1000, 45),
    "Agadir": (9, 500, 40), "Fès": (9, 100, 36), "Meknès": (6, -100, 34), "Oujda": (5, -200, 32),
    "Kénitra": (4, 200, 37),
}
STANDINGS = {"economique": (35, -700), "moyen": (45, 0), "haut": (20, 1600)}
RENT_FEATURES = ["ville", "quartier_standing", "surface_m2", "nb_pieces", "etage", "ascenseur", "meuble"]


def flat_row(rng: random.Random) -> dict:
    ville = weighted(rng, RENT_CITIES)
    standing = weighted(rng, STANDINGS)
    surface = int(min(220, max(30, rng.gauss(85 + (20 if standing == "haut" else 0), 28))))
    pieces = min(7, max(1, round(surface / 28 + rng.gauss(0, 0.6))))
    etage = min(10, int(rng.expovariate(1 / 2.5)))
    ascenseur = "oui" if etage >= 4 or (etage >= 1 and rng.random() < 0.35) else "non"
    meuble = "oui" if rng.random() < 0.3 else "non"
    _, offset, per_m2 = RENT_CITIES[ville]
    rent = (400 + offset + per_m2 * surface + STANDINGS[standing][1] + 60 * pieces
            + (70 * etage if ascenseur == "oui" else -40 * etage) + (900 if meuble == "oui" else 0))
    rent = rent * (1 + rng.gauss(0, 0.07))
    return {"ville": ville, "quartier_standing": standing, "surface_m2": surface, "nb_pieces": pieces,
            "etage": etage, "ascenseur": ascenseur, "meuble": meuble,
            "loyer_mensuel": max(800, int(round(rent / 50.0)) * 50)}


def build_rents() -> dict[str, str]:
    rng = random.Random(20260502)
    rows = [flat_row(rng) for _ in range(1200 + 500)]
    return ml_files(rng, "apt", "loyer_mensuel", RENT_FEATURES, rows, 1200)


# --- classer-avis: customer reviews in French and Arabic --------------------------------------------------------

PHRASES = {
    ("fr", "positif"): [
        "livraison rapide", "livré en deux jours", "produit conforme à la description", "très bonne qualité",
        "je suis très satisfait", "service client à l'écoute", "emballage soigné", "prix raisonnable",
        "je recommande", "excellent rapport qualité prix", "le livreur était très aimable",
        "commande reçue à temps", "parfait merci", "super produit", "rien à redire", "vendeur sérieux",
        "bonne expérience", "article de qualité", "très content de mon achat", "top"],
    ("fr", "negatif"): [
        "livraison en retard", "colis arrivé abîmé", "produit non conforme", "qualité décevante",
        "je ne suis pas satisfait", "service client injoignable", "remboursement jamais reçu",
        "trop cher pour ce que c'est", "je déconseille", "taille incorrecte", "le livreur n'est jamais venu",
        "commande annulée sans explication", "très déçu", "article cassé", "à éviter", "arnaque",
        "mauvaise expérience", "emballage déchiré", "aucune réponse à mes messages", "nul"],
    ("ar", "positif"): [
        "التوصيل سريع", "المنتج مطابق للوصف", "جودة ممتازة", "راض جدا عن الطلب", "خدمة العملاء محترمة",
        "التغليف جيد", "الثمن مناسب", "أنصح به بشدة", "شكرا بزاف", "وصلني الطلب في الوقت", "منتج رائع",
        "تجربة ممتازة", "البائع جدي", "الموزع لطيف", "كلشي مزيان", "سلعة زوينة"],
    ("ar", "negatif"): [
        "التوصيل متأخر", "الطرد وصل متضرر", "المنتج غير مطابق", "الجودة رديئة", "لست راضيا",
        "خدمة العملاء لا ترد", "لم أسترجع أموالي", "الثمن مرتفع بزاف", "لا أنصح به", "المقاس غير صحيح",
        "الموزع ما جاش", "تجربة سيئة", "منتج مكسور", "نصب واحتيال", "الطلب ألغي بدون سبب", "ما عجبنيش"],
}
FILLERS = {
    "fr": ["j'ai commandé un téléphone", "c'est ma deuxième commande", "commande passée sur le site",
           "pour l'anniversaire de ma fille", "livraison à Casablanca", "livraison à Fès", "payé à la livraison",
           "acheté pendant les soldes", "un cadeau pour ma mère", "des chaussures de sport", "une cafetière",
           "commande du mois dernier", "livraison à Tanger", "un sac à dos pour l'école"],
    "ar": ["طلبت هاتف", "هذه ثاني طلبية لي", "الطلب من الموقع", "التوصيل إلى طنجة", "الدفع عند الاستلام",
           "اشتريت في التخفيضات", "هدية لأمي", "طلبت حذاء رياضي", "التوصيل إلى مراكش", "طلبية الشهر الماضي",
           "حقيبة للمدرسة"],
}
OTHER = {"positif": "negatif", "negatif": "positif"}


def review_row(rng: random.Random) -> dict:
    label = "positif" if rng.random() < 0.45 else "negatif"
    language = "fr" if rng.random() < 0.55 else "ar"
    other_language = "ar" if language == "fr" else "fr"
    count = rng.choice([1, 1, 2, 2, 3])
    parts = []
    while len(parts) < count:
        side = other_language if rng.random() < 0.1 else language  # some reviews mix both languages
        phrase = rng.choice(PHRASES[(side, label)])
        if phrase not in parts:
            parts.append(phrase)
    if count >= 2 and rng.random() < 0.3:  # a reservation of the other side
        parts.append(rng.choice(PHRASES[(language, OTHER[label])]))
    parts += rng.sample(FILLERS[language], rng.choice([0, 1, 1, 2]))
    rng.shuffle(parts)
    text = "، ".join(parts) if language == "ar" else ", ".join(parts)
    text = text[0].upper() + text[1:]
    if rng.random() < 0.03:  # a few labels disagree with the text
        label = OTHER[label]
    return {"avis": text + rng.choice(["", "", ".", "!", " !!"]), "sentiment": label}


def build_reviews() -> dict[str, str]:
    rng = random.Random(20260503)
    rows = [review_row(rng) for _ in range(1600 + 500)]
    return ml_files(rng, "avis", "sentiment", ["avis"], rows, 1600)


# --- valider-modele: credit applications, three variants --------------------------------------------------------

CREDIT_VARIANTS = {"exemple": (20260511, 200), "autre": (20260512, 180), "troisieme": (20260513, 240)}
CREDIT_COLUMNS = ["age", "revenu_mensuel", "anciennete_emploi", "nb_credits_en_cours", "montant_demande",
                  "accorde"]


def credit_rows(seed: int, count: int) -> list[list]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        age = min(65, max(21, int(rng.gauss(39, 10))))
        revenu = int(round(min(60000, max(3000, math.exp(rng.gauss(math.log(9000), 0.5)))) / 100.0)) * 100
        anciennete = min(age - 20, int(rng.expovariate(1 / 6)))
        credits = min(4, int(rng.expovariate(1 / 0.8)))
        montant = int(round(revenu * rng.uniform(2, 25) / 1000.0)) * 1000
        logit = (0.6 + 2.2 * (math.log(revenu) - math.log(9000)) - 0.12 * (montant / revenu - 12)
                 - 0.7 * credits + 0.08 * anciennete)
        accorde = 1 if rng.random() < sigmoid(logit) else 0
        rows.append([age, revenu, anciennete, credits, montant, accorde])
    return rows


def build_credits() -> dict[str, str]:
    return {f"data/{variant}/credits.csv": to_csv(CREDIT_COLUMNS, credit_rows(seed, count))
            for variant, (seed, count) in CREDIT_VARIANTS.items()}


# --- all ----------------------------------------------------------------------------------------------------------

BUILDERS = {"classer-clients": build_clients, "predire-loyers": build_rents, "classer-avis": build_reviews,
            "valider-modele": build_credits}


def build_all() -> dict[str, str]:
    """{path relative to MODULE: text} for every generated file of the module."""
    return {f"{exercise}/{path}": text for exercise, build in BUILDERS.items() for path, text in build().items()}


def main() -> None:
    files = build_all()
    for relative, text in files.items():
        path = MODULE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for exercise in BUILDERS:
        size = sum(len(t.encode("utf-8")) for p, t in files.items() if p.startswith(exercise + "/"))
        print(f"{exercise}: {sum(p.startswith(exercise + '/') for p in files)} file(s), {size} bytes")


if __name__ == "__main__":
    main()
