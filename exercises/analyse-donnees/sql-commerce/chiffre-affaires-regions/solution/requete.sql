SELECT r.nom AS region, COUNT(*) AS nombre_commandes, ROUND(SUM(c.montant), 2) AS chiffre_affaires
FROM commandes c
JOIN boutiques b ON b.id = c.boutique_id
JOIN villes v ON v.id = b.ville_id
JOIN regions r ON r.id = v.region_id
WHERE c.statut = 'livree'
GROUP BY r.id, r.nom
HAVING SUM(c.montant) > 7000
ORDER BY chiffre_affaires DESC, region;
