import matplotlib.pyplot as plt
import pandas as pd

ventes = pd.read_csv("data/ventes.csv")
print(ventes.head())
print(ventes.dtypes)  # la date est encore du texte JJ/MM/AAAA

# TODO 1 : convertissez la colonne date avec pd.to_datetime(..., format="%d/%m/%Y"), puis calculez
#          ventes_mensuelles, la somme des montants de chaque mois, dans l'ordre chronologique.

# TODO 2 : meilleur_mois, le mois (texte "AAAA-MM") qui a la plus grande somme.

# TODO 3 : un graphique en barres de ventes_mensuelles (une barre par mois), avec un titre et le nom des deux axes
#          (plt.title, plt.xlabel, plt.ylabel ou ax.set_title...).
