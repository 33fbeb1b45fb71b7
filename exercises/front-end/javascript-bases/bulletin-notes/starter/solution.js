const fs = require('fs');

const lignes = fs.readFileSync(0, 'utf8').split('\n');
for (const ligne of lignes) {
  const [prenom, ...notes] = ligne.trim().split(/\s+/);
  // TODO : calculez la moyenne des notes et affichez "prenom : moyenne" (deux décimales)
  console.log(prenom + ' : ' + notes.join(' '));
}
// TODO : la ligne "classe : moyenne"
