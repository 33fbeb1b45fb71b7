import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

CATEGORIES = ["ville", "quartier_standing", "ascenseur", "meuble"]
NOMBRES = ["surface_m2", "nb_pieces", "etage"]

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
X, y = train[CATEGORIES + NOMBRES], train["loyer_mensuel"]

preparation = ColumnTransformer([
    ("categories", OneHotEncoder(handle_unknown="ignore"), CATEGORIES),
], remainder="passthrough")
modele = make_pipeline(preparation, LinearRegression())

# Une estimation de la RMSE sur des données que le modèle n'a pas vues, avant de prédire test.csv.
scores = cross_val_score(modele, X, y, cv=5, scoring="neg_root_mean_squared_error")
print(f"RMSE en validation croisée : {-scores.mean():.0f} MAD")

modele.fit(X, y)
predictions = pd.DataFrame({"id": test["id"], "prediction": modele.predict(test[CATEGORIES + NOMBRES])})
predictions.to_csv("predictions.csv", index=False)
