const formulaire = document.querySelector("#inscription");
const nom = document.querySelector("#nom");
const email = document.querySelector("#email");
const erreurNom = document.querySelector("#erreur-nom");
const erreurEmail = document.querySelector("#erreur-email");
const confirmation = document.querySelector("#confirmation");

formulaire.addEventListener("submit", (event) => {
  event.preventDefault();
  const nomValide = nom.value.trim() !== "";
  const emailValide = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.value.trim());
  erreurNom.hidden = nomValide;
  erreurEmail.hidden = emailValide;
  if (nomValide && emailValide) {
    confirmation.textContent = `Merci, ${nom.value.trim()} !`;
    confirmation.hidden = false;
  } else {
    confirmation.hidden = true;
  }
});
