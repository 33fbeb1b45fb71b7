import pandas as pd

commandes = pd.read_csv("data/commandes.csv")
clients = pd.read_csv("data/clients.csv")
villes = pd.read_csv("data/villes.csv")

# Toutes les commandes (jointure à gauche) : celles d'un client inconnu ont des cases vides (NaN).
commandes_clients = (commandes.merge(clients, on="id_client", how="left")
                     .merge(villes, on="id_ville", how="left"))

nb_sans_client = int(commandes_clients["nom"].isna().sum())

# Seulement les commandes d'un client connu (jointure interne).
commandes_connues = (commandes.merge(clients, on="id_client", how="inner")
                     .merge(villes, on="id_ville", how="inner"))
ca_par_region = commandes_connues.groupby("region")["montant"].sum().sort_values(ascending=False)

print(commandes_clients.head(10))
print("Commandes sans client connu :", nb_sans_client)
print(ca_par_region)
