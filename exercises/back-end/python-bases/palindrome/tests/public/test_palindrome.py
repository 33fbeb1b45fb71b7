from solution import est_palindrome


def test_mot_simple():
    assert est_palindrome("radar") is True


def test_pas_un_palindrome():
    assert est_palindrome("bonjour") is False


def test_majuscules_accents_et_espaces():
    assert est_palindrome("Ésope reste ici et se repose") is True
