import pandas as pd

# Les autres orthographes des villes, à corriger après strip() et title().
CORRECTIONS = {"Fes": "Fès", "Meknes": "Meknès", "Casa": "Casablanca", "Marrakesh": "Marrakech", "Tangier": "Tanger"}

ventes = pd.read_csv("data/ventes.csv")

# Regardez d'abord les données : les types des colonnes, les cases vides, les villes écrites de plusieurs façons.
print(ventes.head(10))
print(ventes.dtypes)
print(ventes.isna().sum())
print(ventes["ville"].unique())

# TODO 1 : nb_doublons, le nombre de lignes qui répètent exactement une ligne précédente (avant tout nettoyage).

# TODO 2 : ventes_propres, une copie nettoyée de ventes :
#   - sans les doublons ;
#   - sans les lignes dont la ville ou le montant manque ;
#   - la catégorie manquante remplacée par "non classée" ;
#   - la ville sans espaces autour, en str.title(), puis corrigée avec CORRECTIONS ;
#   - le montant converti en nombre décimal (retirez "DH" et les espaces, remplacez la virgule par un point).

# TODO 3 : nb_lignes (le nombre de lignes de ventes_propres) et ca_total (la somme de ses montants).
