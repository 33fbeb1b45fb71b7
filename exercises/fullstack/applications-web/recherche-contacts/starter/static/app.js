const resultats = document.querySelector("#resultats");

// TODO: à l'envoi du formulaire #recherche, appeler GET /api/contacts?q=... et afficher
// un <li> par contact trouvé dans #resultats ; montrer #vide quand il n'y a aucun résultat.
