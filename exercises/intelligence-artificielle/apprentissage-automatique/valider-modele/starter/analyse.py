import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

credits = pd.read_csv("data/credits.csv")
print(credits.head())

# Le modèle à évaluer (ne le changez pas) : les colonnes mises à l'échelle, puis une régression logistique.
modele = make_pipeline(StandardScaler(), LogisticRegression())

# À faire :
# 1. X : toutes les colonnes sauf accorde (dans l'ordre du fichier) ; y : la colonne accorde.
# 2. X_train, X_test, y_train, y_test avec train_test_split (test_size=0.25, random_state=42).
# 3. score_test : l'exactitude du modèle entraîné sur (X_train, y_train), mesurée sur (X_test, y_test).
# 4. scores_cv : cross_val_score du modèle sur (X_train, y_train) avec cv=5 ; moyenne_cv : leur moyenne.
X_train = X_test = y_train = y_test = None
score_test = None
scores_cv = None
moyenne_cv = None
