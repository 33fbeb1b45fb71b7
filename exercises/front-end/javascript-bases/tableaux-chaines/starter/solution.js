// Renvoie la somme des nombres du tableau (0 pour un tableau vide).
function somme(nombres) {
  let total = 0;
  // TODO : ajoutez chaque nombre à total
  return total;
}

// Renvoie les mots de la phrase dans l'ordre inverse, séparés par une seule espace.
function inverserMots(phrase) {
  return phrase.split(' ').reverse().join(' '); // TODO : et les espaces en trop ?
}

// Renvoie le nombre de voyelles (a e i o u y, majuscules comprises).
function compterVoyelles(texte) {
  // TODO
}

module.exports = { somme, inverserMots, compterVoyelles };
