// ranks.js — writes the ranks that the npm package tiktoken ships (encoders/NAME.json) as a
// plain tiktoken ranks file, and prints the pattern and special tokens as JSON on stdout.
// usage: node ranks.js NPM_DIR NAME OUT_RANKS
const fs = require("fs");
const [npmDir, name, out] = process.argv.slice(2);
const data = JSON.parse(fs.readFileSync(`${npmDir}/node_modules/tiktoken/encoders/${name}.json`, "utf8"));
const lines = [];
for (const line of data.bpe_ranks.split("\n")) {
    const parts = line.split(" ");
    const offset = Number(parts[1]);
    for (let i = 2; i < parts.length; i++) lines.push(`${parts[i]} ${offset + i - 2}`);
}
fs.writeFileSync(out, lines.join("\n") + "\n");
process.stdout.write(JSON.stringify({ pat_str: data.pat_str, special_tokens: data.special_tokens }) + "\n");
