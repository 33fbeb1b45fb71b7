// Écrivez votre code ici.
const compteur = document.querySelector("#compteur");
