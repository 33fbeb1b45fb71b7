SELECT nom AS ville, population
FROM villes
WHERE region_id = 6 AND population > 100000
ORDER BY population DESC, nom;
