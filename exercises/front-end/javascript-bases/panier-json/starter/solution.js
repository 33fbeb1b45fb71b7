// Renvoie le total du panier, remise en pour cent déduite, arrondi au centime.
function totalPanier(panier) {
  let total = 0;
  for (const article of panier.articles) {
    total += article.prix; // TODO : et la quantité ? et la remise ?
  }
  return total;
}

// Renvoie { categorie: [noms triés] }.
function grouperParCategorie(produits) {
  const groupes = {};
  // TODO
  return groupes;
}

module.exports = { totalPanier, grouperParCategorie };
