const compteur = document.querySelector("#compteur");
const historique = document.querySelector("#historique");
let valeur = 0;

function afficher() {
  compteur.textContent = String(valeur);
}

document.querySelector("#plus").addEventListener("click", () => {
  valeur += 1;
  const ligne = document.createElement("li");
  ligne.textContent = "+1";
  historique.append(ligne);
  afficher();
});

document.querySelector("#moins").addEventListener("click", () => {
  valeur = Math.max(0, valeur - 1);
  afficher();
});

document.querySelector("#remise").addEventListener("click", () => {
  valeur = 0;
  afficher();
});

afficher();
