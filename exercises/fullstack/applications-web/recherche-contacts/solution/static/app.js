const resultats = document.querySelector("#resultats");
const vide = document.querySelector("#vide");

document.querySelector("#recherche").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = document.querySelector("#q").value;
  const reponse = await fetch(`/api/contacts?q=${encodeURIComponent(q)}`);
  const trouves = await reponse.json();
  resultats.replaceChildren(...trouves.map((contact) => {
    const item = document.createElement("li");
    item.textContent = contact.ville ? `${contact.nom} — ${contact.ville}` : contact.nom;
    return item;
  }));
  vide.hidden = trouves.length > 0;
});
