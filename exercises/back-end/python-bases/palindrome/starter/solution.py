import unicodedata


def est_palindrome(texte):
    """Renvoie True si `texte` est un palindrome, False sinon.

    On ignore la casse, les accents, les espaces et la ponctuation :
    seuls les lettres et les chiffres comptent.

    >>> est_palindrome("Ésope reste ici et se repose")
    True
    >>> est_palindrome("bonjour")
    False
    """
    # TODO : écrivez votre code ici
    pass
