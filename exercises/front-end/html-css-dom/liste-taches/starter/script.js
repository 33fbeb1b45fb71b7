const formulaire = document.querySelector("#ajout");
const champ = document.querySelector("#nouvelle-tache");
const liste = document.querySelector("#taches");

formulaire.addEventListener("submit", (event) => {
  event.preventDefault();
  // À compléter : ajoutez la tâche à la liste.
});
