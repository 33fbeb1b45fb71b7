// Lancez ces tests avec : node --test (dans le dossier de solution.js)
const test = require('node:test');
const assert = require('node:assert');
const { totalPanier, grouperParCategorie } = require('./solution.js');

test('total avec remise', () => {
  const panier = { articles: [{ nom: 'thé', prix: 25, quantite: 2 }, { nom: 'miel', prix: 80, quantite: 1 }],
                   remise: 10 };
  assert.strictEqual(totalPanier(panier), 117);
});

test('total sans remise', () => {
  assert.strictEqual(totalPanier({ articles: [{ nom: 'pain', prix: 1.5, quantite: 4 }] }), 6);
});

test('grouper par catégorie', () => {
  const produits = [{ nom: 'menthe', categorie: 'épicerie' }, { nom: 'tajine', categorie: 'cuisine' },
                    { nom: 'cumin', categorie: 'épicerie' }];
  assert.deepStrictEqual(grouperParCategorie(produits), { 'épicerie': ['cumin', 'menthe'], cuisine: ['tajine'] });
});
