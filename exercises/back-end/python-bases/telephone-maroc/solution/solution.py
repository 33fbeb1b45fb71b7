import re

# [0-9] et non \d : \d accepte aussi les chiffres arabes-indiens (٠١٢...).
_MOBILE = re.compile(r"[67][0-9]{8}")
_PREFIXES = ("+212", "00212", "0")
_SEPARATEURS = str.maketrans("", "", " -.")


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
    nettoye = numero.translate(_SEPARATEURS)
    for prefixe in _PREFIXES:
        if nettoye.startswith(prefixe):
            reste = nettoye[len(prefixe):]
            if _MOBILE.fullmatch(reste):
                return "+212" + reste
            return None
    return None
