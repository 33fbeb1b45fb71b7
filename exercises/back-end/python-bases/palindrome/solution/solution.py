import unicodedata


def _nettoyer(texte):
    """Minuscules, sans accents, en ne gardant que les lettres et les chiffres."""
    decompose = unicodedata.normalize("NFD", texte.casefold())
    return [c for c in decompose if not unicodedata.combining(c) and c.isalnum()]


def est_palindrome(texte):
    """Renvoie True si `texte` est un palindrome, False sinon.

    On ignore la casse, les accents, les espaces et la ponctuation :
    seuls les lettres et les chiffres comptent.

    >>> est_palindrome("Ésope reste ici et se repose")
    True
    >>> est_palindrome("bonjour")
    False
    """
    caracteres = _nettoyer(texte)
    return caracteres == caracteres[::-1]
