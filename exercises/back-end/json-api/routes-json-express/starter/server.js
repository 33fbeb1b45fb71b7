const express = require("express");

const app = express();
app.use(express.json());

app.get("/api/status", (req, res) => {
  res.json({ status: "ok" });
});

// TODO: GET /api/hello/:name and POST /api/sum

app.listen(3000);
