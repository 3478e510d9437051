// Parse Mermaid files with Mermaid's own parser: `node parse.mjs FILE...`.
// Prints one JSON line per file ({"file", "ok", "type" or "error"}); exits 1 if any fails to parse.
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom gives it one, no browser needed.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let failed = false;
for (const file of process.argv.slice(2)) {
  try {
    const parsed = await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(JSON.stringify({ file, ok: true, type: parsed.diagramType }));
  } catch (error) {
    failed = true;
    console.log(JSON.stringify({ file, ok: false, error: String(error.message || error).split('\n').slice(0, 3).join(' ') }));
  }
}
process.exit(failed ? 1 : 0);
