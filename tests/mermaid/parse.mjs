// Mermaid's own parser (the one mermaid-cli renders with), under jsdom instead of a
// browser: `node parse.mjs FILE…` prints `ok FILE` or `error FILE: message` for each
// diagram and exits 1 if any is refused. Run from the directory where `npm ci` installed
// this folder's package.json (tests/diagrams.rs copies it there).
import { readFile } from 'node:fs/promises';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><body></body>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['DOMParser', 'Element', 'HTMLElement', 'Node']) {
  globalThis[name] ??= dom.window[name];
}
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let failed = false;
for (const file of process.argv.slice(2)) {
  const text = await readFile(file, 'utf8');
  try {
    const { diagramType } = await mermaid.parse(text);
    if (diagramType !== 'er') throw new Error(`parsed as ${diagramType}, not erDiagram`);
    console.log(`ok ${file}`);
  } catch (error) {
    failed = true;
    console.log(`error ${file}: ${String(error.message ?? error).replaceAll('\n', ' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
