-- Cette instruction remise TOUTES les commandes : limitez-la (WHERE) aux commandes en attente
-- (statut = 'en_attente') passées avant le 1er avril 2025.
UPDATE commandes SET montant = ROUND(montant * 0.9, 2);
