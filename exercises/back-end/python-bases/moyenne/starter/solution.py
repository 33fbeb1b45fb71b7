def moyenne(nombres):
    """Renvoie la moyenne (float) des nombres de la liste `nombres`.

    Renvoie None si la liste est vide.

    >>> moyenne([2, 4, 6])
    4.0
    >>> moyenne([]) is None
    True
    """
    # TODO : écrivez votre code ici
    pass
