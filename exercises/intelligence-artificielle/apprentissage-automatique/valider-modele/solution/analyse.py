import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

credits = pd.read_csv("data/credits.csv")

# Le modèle à évaluer : les colonnes mises à l'échelle, puis une régression logistique.
modele = make_pipeline(StandardScaler(), LogisticRegression())

X = credits.drop(columns="accorde")
y = credits["accorde"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)

# Entraîné sur 75 % des lignes, évalué sur les 25 % qu'il n'a pas vues.
modele.fit(X_train, y_train)
score_test = modele.score(X_test, y_test)

# Validation croisée sur la partie d'entraînement : 5 découpages, 5 exactitudes.
scores_cv = cross_val_score(modele, X_train, y_train, cv=5)
moyenne_cv = scores_cv.mean()

print(f"exactitude sur le test : {score_test:.3f}")
print(f"validation croisée : {scores_cv.round(3)} (moyenne {moyenne_cv:.3f}, écart-type {scores_cv.std():.3f})")
