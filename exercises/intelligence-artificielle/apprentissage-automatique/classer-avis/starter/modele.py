import pandas as pd

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
print("entraînement :", train.shape, "- à prédire :", test.shape)
print(train.head())

# Point de départ : le sentiment le plus fréquent (« negatif ») pour tous les avis. Son F1 pour « positif » est 0.
# Remplacez-le par un modèle entraîné sur les textes de train (un sac de mots avec scikit-learn).
majoritaire = train["sentiment"].mode()[0]
predictions = pd.DataFrame({"id": test["id"], "prediction": majoritaire})
predictions.to_csv("predictions.csv", index=False)
