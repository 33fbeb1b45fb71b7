import matplotlib.pyplot as plt
import pandas as pd

ventes = pd.read_csv("data/ventes.csv")
ventes["date"] = pd.to_datetime(ventes["date"], format="%d/%m/%Y")
ventes["mois"] = ventes["date"].dt.strftime("%Y-%m")

# Le texte AAAA-MM se trie comme les mois : groupby donne l'ordre chronologique.
ventes_mensuelles = ventes.groupby("mois")["montant"].sum()
meilleur_mois = ventes_mensuelles.idxmax()

fig, ax = plt.subplots(figsize=(9, 4.5))
ventes_mensuelles.plot(kind="bar", ax=ax, color="#1f77b4")
ax.set_title("Ventes mensuelles du réseau")
ax.set_xlabel("Mois")
ax.set_ylabel("Chiffre d'affaires (DH)")
fig.tight_layout()

print(ventes_mensuelles.round(2))
print("Meilleur mois :", meilleur_mois)
