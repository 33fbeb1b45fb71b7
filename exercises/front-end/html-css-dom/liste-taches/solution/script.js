const formulaire = document.querySelector("#ajout");
const champ = document.querySelector("#nouvelle-tache");
const liste = document.querySelector("#taches");
const restantes = document.querySelector("#restantes");

function compter() {
  restantes.textContent = `${liste.children.length} tâche(s)`;
}

formulaire.addEventListener("submit", (event) => {
  event.preventDefault();
  const texte = champ.value.trim();
  if (texte === "") {
    return;
  }
  const tache = document.createElement("li");
  const libelle = document.createElement("span");
  libelle.textContent = texte;
  const supprimer = document.createElement("button");
  supprimer.type = "button";
  supprimer.className = "supprimer";
  supprimer.textContent = "Supprimer";
  supprimer.addEventListener("click", () => {
    tache.remove();
    compter();
  });
  tache.append(libelle, supprimer);
  liste.append(tache);
  champ.value = "";
  compter();
});

compter();
