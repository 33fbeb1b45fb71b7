import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORIES = ["ville", "engagement", "internet_fixe"]
NOMBRES = ["age", "anciennete_mois", "montant_mensuel", "nb_reclamations"]

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
X, y = train[CATEGORIES + NOMBRES], train["resilie"]

preparation = ColumnTransformer([
    ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORIES),
    ("nombres", StandardScaler(), NOMBRES),
])
modele = make_pipeline(preparation, LogisticRegression(max_iter=1000))

# Une estimation du F1 sur des données que le modèle n'a pas vues, avant de prédire test.csv.
scores = cross_val_score(modele, X, y, cv=5, scoring=make_scorer(f1_score, pos_label="oui"))
print(f"F1 en validation croisée : {scores.mean():.3f}")

modele.fit(X, y)
predictions = pd.DataFrame({"id": test["id"], "prediction": modele.predict(test[CATEGORIES + NOMBRES])})
predictions.to_csv("predictions.csv", index=False)
