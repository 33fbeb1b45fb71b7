import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")

# Un sac de mots (mots seuls et paires de mots voisins, pondérés par TF-IDF), puis une régression logistique.
modele = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000))

# Une estimation du F1 sur des avis que le modèle n'a pas vus, avant de prédire test.csv.
scores = cross_val_score(modele, train["avis"], train["sentiment"], cv=5,
                         scoring=make_scorer(f1_score, pos_label="positif"))
print(f"F1 en validation croisée : {scores.mean():.3f}")

modele.fit(train["avis"], train["sentiment"])
predictions = pd.DataFrame({"id": test["id"], "prediction": modele.predict(test["avis"])})
predictions.to_csv("predictions.csv", index=False)
