const fs = require('fs');

function moyenne(nombres) {
  return nombres.reduce((total, n) => total + n, 0) / nombres.length;
}

const moyennes = [];
for (const ligne of fs.readFileSync(0, 'utf8').split('\n')) {
  if (ligne.trim() === '') continue;
  const [prenom, ...notes] = ligne.trim().split(/\s+/);
  const m = moyenne(notes.map(Number));
  moyennes.push(m);
  console.log(`${prenom} : ${m.toFixed(2)}`);
}
console.log(`classe : ${moyenne(moyennes).toFixed(2)}`);
