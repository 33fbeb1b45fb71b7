from flask import Flask, jsonify, request

app = Flask(__name__)


def problem_with(data):
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    name, age = data.get("name"), data.get("age")
    if not isinstance(name, str) or not name.strip():
        return "name must be a non-empty string"
    if type(age) is not int:
        return "age must be an integer"
    if not 0 <= age <= 130:
        return "age must be between 0 and 130"
    return None


@app.post("/api/users")
def create_user():
    data = request.get_json(silent=True)
    problem = problem_with(data)
    if problem:
        return jsonify(error=problem), 400
    return jsonify(name=data["name"], age=data["age"]), 201


if __name__ == "__main__":
    app.run(port=5000)
