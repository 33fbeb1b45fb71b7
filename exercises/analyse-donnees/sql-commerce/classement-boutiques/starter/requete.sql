-- Les boutiques avec leur ville, sans chiffre d'affaires ni rang : additionnez les montants des commandes
-- livrées de chaque boutique, puis classez les boutiques de chaque ville avec RANK() OVER (PARTITION BY ...).
SELECT v.nom AS ville, b.nom AS boutique
FROM boutiques b
JOIN villes v ON v.id = b.ville_id
ORDER BY ville, boutique;
