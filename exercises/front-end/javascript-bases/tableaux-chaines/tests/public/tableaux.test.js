// Lancez ces tests avec : node --test (dans le dossier de solution.js)
const test = require('node:test');
const assert = require('node:assert');
const { somme, inverserMots, compterVoyelles } = require('./solution.js');

test('somme de trois nombres', () => {
  assert.strictEqual(somme([1, 2, 3]), 6);
});

test('somme d\'un tableau vide', () => {
  assert.strictEqual(somme([]), 0);
});

test('inverser les mots', () => {
  assert.strictEqual(inverserMots('le chat dort'), 'dort chat le');
});

test('inverser les mots avec des espaces en trop', () => {
  assert.strictEqual(inverserMots('  bonjour   Casa '), 'Casa bonjour');
});

test('compter les voyelles', () => {
  assert.strictEqual(compterVoyelles('Marrakech'), 3);
});
