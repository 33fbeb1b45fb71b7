// Renvoie le total du panier, remise en pour cent déduite, arrondi au centime.
function totalPanier(panier) {
  const brut = panier.articles.reduce((total, article) => total + article.prix * article.quantite, 0);
  const remise = panier.remise || 0;
  return Math.round(brut * (100 - remise)) / 100;
}

// Renvoie { categorie: [noms triés] }.
function grouperParCategorie(produits) {
  const groupes = {};
  for (const { nom, categorie } of produits) {
    groupes[categorie] = groupes[categorie] || [];
    groupes[categorie].push(nom);
  }
  for (const noms of Object.values(groupes)) noms.sort();
  return groupes;
}

module.exports = { totalPanier, grouperParCategorie };
