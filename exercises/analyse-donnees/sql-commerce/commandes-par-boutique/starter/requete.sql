-- Les commandes de plus de 2 500 DH, avec seulement le numéro de leur boutique :
-- joignez les tables boutiques et villes pour afficher le nom de la boutique et sa ville.
SELECT id AS commande_id, boutique_id, montant
FROM commandes
WHERE montant > 2500
ORDER BY id;
