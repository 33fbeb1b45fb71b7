import os

from flask import Flask, jsonify, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
app.secret_key = os.urandom(32)
comptes = {}  # e-mail -> password hash


@app.post("/api/comptes")
def create_account():
    data = request.get_json(silent=True) or {}
    # TODO: 400 si l'e-mail ou le mot de passe (8 caractères au moins) manque, 409 si le compte existe
    comptes[data.get("email")] = generate_password_hash(data.get("mot_de_passe", ""))
    return jsonify({"email": data.get("email")}), 201


@app.route("/connexion", methods=["GET", "POST"])
def login():
    # TODO: vérifier le mot de passe (check_password_hash), garder l'e-mail dans la session,
    # rediriger vers /profil ; sinon réafficher le formulaire avec une erreur (401)
    return render_template("connexion.html", erreur=None)


@app.get("/profil")
def profile():
    # TODO: rediriger vers /connexion sans session
    return render_template("profil.html", email=session.get("email", ""))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
