const express = require("express");

const app = express();
app.use(express.json());

app.get("/api/status", (req, res) => {
  res.json({ status: "ok" });
});

app.get("/api/hello/:name", (req, res) => {
  res.json({ message: `Bonjour ${req.params.name}` });
});

app.post("/api/sum", (req, res) => {
  const { a = 0, b = 0 } = req.body || {};
  res.json({ sum: a + b });
});

app.listen(3000);
