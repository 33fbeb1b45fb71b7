const formulaire = document.querySelector("#inscription");
// Écoutez l'événement submit du formulaire ici.
