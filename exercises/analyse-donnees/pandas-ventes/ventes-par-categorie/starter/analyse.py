import pandas as pd

ventes = pd.read_csv("data/ventes.csv")
print(ventes.head())
print(ventes["categorie"].value_counts())

# TODO 1 : ca_par_categorie, la somme des montants de chaque catégorie (une Series indexée par la catégorie),
#          triée du plus grand montant au plus petit.

# TODO 2 : resume, un DataFrame indexé par la ville, avec les colonnes nb_ventes, quantite_totale, ca_total et
#          panier_moyen (dans cet ordre), trié par ca_total décroissant.
#          Par exemple : ventes.groupby("ville").agg(nb_ventes=("id_vente", "count"), ...)

# TODO 3 : meilleure_categorie, le nom (texte) de la catégorie qui a le plus grand chiffre d'affaires.
