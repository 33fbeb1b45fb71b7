import pandas as pd

# Les autres orthographes des villes, après strip() et title().
CORRECTIONS = {"Fes": "Fès", "Meknes": "Meknès", "Casa": "Casablanca", "Marrakesh": "Marrakech", "Tangier": "Tanger"}

ventes = pd.read_csv("data/ventes.csv")

# Les doublons sont comptés sur les données lues, avant tout nettoyage.
nb_doublons = int(ventes.duplicated().sum())

ventes_propres = ventes.drop_duplicates()
ventes_propres = ventes_propres.dropna(subset=["ville", "montant"]).copy()
ventes_propres["categorie"] = ventes_propres["categorie"].fillna("non classée")
ventes_propres["ville"] = ventes_propres["ville"].str.strip().str.title().replace(CORRECTIONS)
ventes_propres["montant"] = (ventes_propres["montant"]
                             .str.replace("DH", "", regex=False)
                             .str.replace(" ", "", regex=False)
                             .str.replace(",", ".", regex=False)
                             .astype(float))
ventes_propres = ventes_propres.reset_index(drop=True)

nb_lignes = len(ventes_propres)
ca_total = ventes_propres["montant"].sum()

print("Doublons :", nb_doublons)
print("Lignes gardées :", nb_lignes)
print("Chiffre d'affaires total :", round(ca_total, 2), "DH")
print(ventes_propres["ville"].value_counts())
