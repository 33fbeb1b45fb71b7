// Lancez ces tests avec : node --test (dans le dossier de solution.js)
const test = require('node:test');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

function executer(entree) {
  return execFileSync(process.execPath, [path.join(__dirname, 'solution.js')], { input: entree, encoding: 'utf8' });
}

test("l'exemple de l'énoncé", () => {
  assert.strictEqual(executer('Amine 12 15\nSalma 18 14 16\n'), 'Amine : 13.50\nSalma : 16.00\nclasse : 14.75\n');
});

test('un seul élève', () => {
  assert.strictEqual(executer('Yassine 10\n'), 'Yassine : 10.00\nclasse : 10.00\n');
});
