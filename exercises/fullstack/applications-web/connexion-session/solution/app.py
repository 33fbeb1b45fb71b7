import os

from flask import Flask, jsonify, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
app.secret_key = os.urandom(32)  # a fresh key per start: sessions end with the server
comptes = {}  # e-mail -> password hash


@app.post("/api/comptes")
def create_account():
    data = request.get_json(silent=True) or {}
    email, mot_de_passe = data.get("email"), data.get("mot_de_passe")
    if not isinstance(email, str) or "@" not in email or not isinstance(mot_de_passe, str) or len(mot_de_passe) < 8:
        return jsonify({"error": "e-mail et mot de passe (8 caractères au moins) requis"}), 400
    if email in comptes:
        return jsonify({"error": "compte existant"}), 409
    comptes[email] = generate_password_hash(mot_de_passe)
    return jsonify({"email": email}), 201


@app.route("/connexion", methods=["GET", "POST"])
def login():
    erreur = None
    if request.method == "POST":
        email = request.form.get("email", "")
        if email in comptes and check_password_hash(comptes[email], request.form.get("mot_de_passe", "")):
            session["email"] = email
            return redirect(url_for("profile"))
        erreur = "E-mail ou mot de passe incorrect."
    return render_template("connexion.html", erreur=erreur), (401 if erreur else 200)


@app.get("/profil")
def profile():
    if "email" not in session:
        return redirect(url_for("login"))
    return render_template("profil.html", email=session["email"])


@app.post("/deconnexion")
def logout():
    session.clear()
    return redirect(url_for("login"))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
