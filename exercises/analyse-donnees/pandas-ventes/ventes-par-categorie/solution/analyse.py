import pandas as pd

ventes = pd.read_csv("data/ventes.csv")

ca_par_categorie = ventes.groupby("categorie")["montant"].sum().sort_values(ascending=False)

resume = ventes.groupby("ville").agg(
    nb_ventes=("id_vente", "count"),
    quantite_totale=("quantite", "sum"),
    ca_total=("montant", "sum"),
    panier_moyen=("montant", "mean"),
).sort_values("ca_total", ascending=False)

meilleure_categorie = ca_par_categorie.index[0]

print(ca_par_categorie)
print(resume.round(2))
print("Meilleure catégorie :", meilleure_categorie)
