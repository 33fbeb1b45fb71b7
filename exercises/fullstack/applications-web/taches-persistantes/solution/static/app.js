const liste = document.querySelector("#liste");
const erreur = document.querySelector("#erreur");

function afficher(tache) {
  const item = document.createElement("li");
  item.textContent = tache.titre;
  item.dataset.id = tache.id;
  if (tache.faite) item.classList.add("faite");
  item.addEventListener("click", async () => {
    const reponse = await fetch(`/api/taches/${tache.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ faite: !item.classList.contains("faite") }),
    });
    if (reponse.ok) item.classList.toggle("faite", (await reponse.json()).faite);
  });
  liste.appendChild(item);
}

async function charger() {
  const reponse = await fetch("/api/taches");
  liste.replaceChildren();
  (await reponse.json()).forEach(afficher);
}

document.querySelector("#formulaire").addEventListener("submit", async (event) => {
  event.preventDefault();
  const champ = document.querySelector("#titre");
  const reponse = await fetch("/api/taches", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ titre: champ.value }),
  });
  if (!reponse.ok) {
    erreur.textContent = "Écrivez un titre.";
    return;
  }
  erreur.textContent = "";
  afficher(await reponse.json());
  champ.value = "";
});

charger();
