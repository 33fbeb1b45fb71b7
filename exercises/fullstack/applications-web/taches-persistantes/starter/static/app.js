const liste = document.querySelector("#liste");

// TODO: au chargement, afficher les tâches de GET /api/taches dans #liste (un <li> par tâche)
// TODO: à l'envoi du formulaire, POST /api/taches puis ajouter la tâche à la liste
