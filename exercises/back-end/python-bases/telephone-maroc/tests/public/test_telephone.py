from solution import normaliser_telephone


def test_format_local():
    assert normaliser_telephone("0612345678") == "+212612345678"


def test_format_international_avec_espaces():
    assert normaliser_telephone("+212 7 12 34 56 78") == "+212712345678"


def test_numero_fixe_refuse():
    assert normaliser_telephone("0522123456") is None


def test_lettres_refusees():
    assert normaliser_telephone("06123456ab") is None
