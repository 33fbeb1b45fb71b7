-- Chaque commande avec la région de sa boutique, sans regroupement : ne gardez que les commandes livrées,
-- regroupez-les par région (GROUP BY), comptez-les et additionnez leurs montants, gardez les régions
-- au-dessus de 7 000 DH (HAVING), puis triez.
SELECT r.nom AS region, c.montant
FROM commandes c
JOIN boutiques b ON b.id = c.boutique_id
JOIN villes v ON v.id = b.ville_id
JOIN regions r ON r.id = v.region_id;
