import pytest

from solution import moyenne


def test_moyenne_entiers():
    assert moyenne([2, 4, 6]) == pytest.approx(4.0)


def test_moyenne_renvoie_un_float():
    assert isinstance(moyenne([1, 2]), float)
    assert moyenne([1, 2]) == pytest.approx(1.5)


def test_moyenne_liste_vide():
    assert moyenne([]) is None
