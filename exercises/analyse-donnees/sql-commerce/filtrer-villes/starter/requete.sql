-- Toutes les villes, sans filtre : gardez seulement celles de la région Casablanca-Settat (region_id = 6)
-- de plus de 100 000 habitants, puis triez-les (population décroissante, puis nom).
SELECT nom AS ville, population
FROM villes;
