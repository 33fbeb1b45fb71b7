def fizzbuzz(i):
    """Renvoie le texte à afficher pour le nombre i."""
    if i % 15 == 0:
        return "FizzBuzz"
    if i % 3 == 0:
        return "Fizz"
    if i % 5 == 0:
        return "Buzz"
    return str(i)


def main():
    """Lit un entier n puis affiche FizzBuzz de 1 à n, une valeur par ligne."""
    n = int(input())
    for i in range(1, n + 1):
        print(fizzbuzz(i))


if __name__ == "__main__":
    main()
