from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
contacts = []  # in memory: this exercise is about searching, not storing


@app.get("/")
def index():
    return render_template("index.html")


@app.post("/api/contacts")
def add_contact():
    data = request.get_json(silent=True) or {}
    nom, ville = data.get("nom"), data.get("ville", "")
    if not isinstance(nom, str) or not nom.strip() or not isinstance(ville, str):
        return jsonify({"error": "nom requis"}), 400
    contact = {"id": len(contacts) + 1, "nom": nom.strip(), "ville": ville.strip()}
    contacts.append(contact)
    return jsonify(contact), 201


@app.get("/api/contacts")
def search_contacts():
    query = request.args.get("q", "").strip().lower()
    return jsonify([c for c in contacts if query in c["nom"].lower()])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
