def main():
    """Lit un entier n puis affiche FizzBuzz de 1 à n, une valeur par ligne."""
    n = int(input())
    # TODO : pour chaque i de 1 à n, affichez "Fizz", "Buzz", "FizzBuzz" ou i


if __name__ == "__main__":
    main()
