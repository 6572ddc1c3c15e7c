// tiktoken_encode.js — the reference encoder of the benchmark: tiktoken (npm, Rust compiled to
// WebAssembly) encoding every given file with cl100k_base. Prints "SECONDS TOKENS BYTES",
// timing the encode calls only (not loading node or the ranks).
// usage: node tiktoken_encode.js NPM_DIR FILE...
const fs = require("fs");
const path = require("path");
const [npmDir, ...files] = process.argv.slice(2);
const { get_encoding } = require(path.resolve(npmDir, "node_modules", "tiktoken"));
const enc = get_encoding("cl100k_base");
const texts = files.map((f) => fs.readFileSync(f, "utf8"));
let tokens = 0, bytes = 0;
const start = process.hrtime.bigint();
for (const text of texts) tokens += enc.encode_ordinary(text).length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
for (const f of files) bytes += fs.statSync(f).size;
console.log(`${seconds} ${tokens} ${bytes}`);
