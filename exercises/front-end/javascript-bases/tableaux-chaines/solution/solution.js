// Renvoie la somme des nombres du tableau (0 pour un tableau vide).
function somme(nombres) {
  return nombres.reduce((total, n) => total + n, 0);
}

// Renvoie les mots de la phrase dans l'ordre inverse, séparés par une seule espace.
function inverserMots(phrase) {
  return phrase.trim().split(/\s+/).filter((mot) => mot !== '').reverse().join(' ');
}

// Renvoie le nombre de voyelles (a e i o u y, majuscules comprises).
function compterVoyelles(texte) {
  let voyelles = 0;
  for (const lettre of texte.toLowerCase()) {
    if ('aeiouy'.includes(lettre)) voyelles += 1;
  }
  return voyelles;
}

module.exports = { somme, inverserMots, compterVoyelles };
