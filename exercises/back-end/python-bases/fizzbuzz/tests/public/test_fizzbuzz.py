import os
import subprocess
import sys

# Dossier qui contient solution.py (le parent du dossier tests/).
DOSSIER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def executer(entree):
    resultat = subprocess.run(
        [sys.executable, "solution.py"],
        input=entree,
        capture_output=True,
        text=True,
        cwd=DOSSIER,
        timeout=5,
    )
    assert resultat.returncode == 0, resultat.stderr
    return resultat.stdout.splitlines()


def test_jusqu_a_5():
    assert executer("5\n") == ["1", "2", "Fizz", "4", "Buzz"]


def test_fizzbuzz_a_15():
    lignes = executer("15\n")
    assert len(lignes) == 15
    assert lignes[-1] == "FizzBuzz"


def test_zero_affiche_rien():
    assert executer("0\n") == []
