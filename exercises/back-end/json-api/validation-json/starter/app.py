from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/api/users")
def create_user():
    data = request.get_json(silent=True)
    # TODO: check name and age, answer 400 {"error": ...} when they are invalid
    return jsonify(name=data["name"], age=data["age"]), 201


if __name__ == "__main__":
    app.run(port=5000)
