from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
contacts = []


@app.get("/")
def index():
    return render_template("index.html")


@app.post("/api/contacts")
def add_contact():
    data = request.get_json(silent=True) or {}
    # TODO: 400 {"error": ...} si le nom manque
    contact = {"id": len(contacts) + 1, "nom": data.get("nom"), "ville": data.get("ville", "")}
    contacts.append(contact)
    return jsonify(contact), 201


@app.get("/api/contacts")
def search_contacts():
    # TODO: ne garder que les contacts dont le nom contient q (sans tenir compte des majuscules)
    return jsonify(contacts)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
