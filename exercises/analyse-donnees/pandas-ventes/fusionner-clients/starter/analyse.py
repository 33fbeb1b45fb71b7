import pandas as pd

commandes = pd.read_csv("data/commandes.csv")
clients = pd.read_csv("data/clients.csv")
villes = pd.read_csv("data/villes.csv")

print(commandes.head())
print(clients.head())
print(villes)

# TODO 1 : commandes_clients, toutes les commandes avec leur client (pd.merge sur id_client, how="left"),
#          puis la ville et la région du client (sur id_ville, how="left").

# TODO 2 : nb_sans_client, le nombre de commandes dont le client n'est pas dans clients.csv.

# TODO 3 : ca_par_region, la somme des montants des commandes d'un client connu (how="inner") par région du
#          client, triée du plus grand montant au plus petit.
