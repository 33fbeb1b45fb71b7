def normaliser_telephone(numero):
    """Valide et normalise un numéro de mobile marocain.

    Renvoie le numéro au format "+212XXXXXXXXX" s'il est valide, None sinon.
    Formats acceptés (espaces, tirets et points ignorés) :
    "06XXXXXXXX", "07XXXXXXXX", "+2126XXXXXXXX", "+2127XXXXXXXX",
    "002126XXXXXXXX", "002127XXXXXXXX".

    >>> normaliser_telephone("06 12 34 56 78")
    '+212612345678'
    >>> normaliser_telephone("0522123456") is None
    True
    """
    # TODO : écrivez votre code ici
    pass
