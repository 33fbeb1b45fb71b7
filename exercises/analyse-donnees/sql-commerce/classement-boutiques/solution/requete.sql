SELECT v.nom AS ville, b.nom AS boutique, ROUND(SUM(c.montant), 2) AS chiffre_affaires,
       RANK() OVER (PARTITION BY v.id ORDER BY SUM(c.montant) DESC) AS rang
FROM commandes c
JOIN boutiques b ON b.id = c.boutique_id
JOIN villes v ON v.id = b.ville_id
WHERE c.statut = 'livree'
GROUP BY b.id, b.nom, v.id, v.nom
ORDER BY ville, rang, boutique;
