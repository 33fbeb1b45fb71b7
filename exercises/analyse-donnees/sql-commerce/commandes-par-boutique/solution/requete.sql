SELECT c.id AS commande_id, b.nom AS boutique, v.nom AS ville, c.montant
FROM commandes c
JOIN boutiques b ON b.id = c.boutique_id
JOIN villes v ON v.id = b.ville_id
WHERE c.montant > 2500
ORDER BY c.id;
