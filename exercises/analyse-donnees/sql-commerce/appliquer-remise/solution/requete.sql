UPDATE commandes
SET montant = ROUND(montant * 0.9, 2)
WHERE statut = 'en_attente' AND date_commande < '2025-04-01';
