// Builds lms/static/vendor/codemirror/editor.bundle.js (single minified IIFE)
// and writes the LICENSE beside it: CodeMirror's MIT license, copied verbatim
// from node_modules/codemirror/LICENSE, followed by the list of npm packages
// that ended up inside the bundle.
import { build } from "esbuild";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "lms", "static", "vendor", "codemirror");
mkdirSync(outDir, { recursive: true });

const result = await build({
  entryPoints: [join(here, "editor.js")],
  outfile: join(outDir, "editor.bundle.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none", // licenses go to the LICENSE file instead
  metafile: true,
  logLevel: "info",
});

// Which packages were bundled (from the inputs esbuild actually read).
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (!m || packages.has(m[1])) continue;
  const pkg = JSON.parse(
    readFileSync(join(here, "node_modules", m[1], "package.json"), "utf8")
  );
  packages.set(m[1], `${pkg.name}@${pkg.version} (${pkg.license})`);
}

const license = readFileSync(join(here, "node_modules", "codemirror", "LICENSE"), "utf8");
const list = [...packages.values()].sort().map((p) => "  " + p).join("\n");
writeFileSync(
  join(outDir, "LICENSE"),
  license.trimEnd() +
    "\n\n" +
    "-----------------------------------------------------------------------\n" +
    "editor.bundle.js is built from frontend/ (npm run build) and contains\n" +
    "the following packages, all MIT-licensed under the terms above\n" +
    "(by Marijn Haverbeke and others):\n\n" +
    list +
    "\n"
);
console.log(`bundled ${packages.size} packages; wrote ${join(outDir, "LICENSE")}`);
