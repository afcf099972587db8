// Writes the widget's payment marks (`www/marks/<mark>.svg`) from the npm packages that
// `cargo xtask marks` installed, so that the committed files can be made again byte for byte.
//
// Usage: node render.mjs <node_modules dir> <output dir>
//
// Every mark is a 48 × 32 tile: the brand's logo, as its package draws it, centred in a white
// rounded rectangle with a light grey outline (the form Apple prescribes for the Apple Pay mark,
// and the form card schemes accept for acceptance marks), so that all marks in the picker are
// the same size, as Mastercard's and Google's parity rules ask. Vipps's package already draws
// its mark as a full tile in Vipps orange; it is kept as drawn. The logo itself is never
// recoloured, stretched or cropped. The generic pictograms (card, invoice, booking page) are
// Lucide's, drawn in one neutral colour. `docs/brand-marks.md` says why and names each source.

import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, out] = process.argv.slice(2);
if (!modules || !out) {
  console.error("usage: node render.mjs <node_modules dir> <output dir>");
  process.exit(2);
}
const require = createRequire(join(modules, "noop.js"));
const { createElement } = require("react");
const { renderToStaticMarkup } = require("react-dom/server");

const TILE_W = 48;
const TILE_H = 32;
const PAD = 4;
const OUTLINE = "#D9D9D9";
const PICTOGRAM_INK = "#3C4257";

/** The root element's attributes, its viewBox and its children, of one SVG document. */
function split(svg) {
  const text = svg.replace(/<!--[\s\S]*?-->/g, "").trim();
  const match = text.match(/^<svg([^>]*)>([\s\S]*)<\/svg>$/);
  if (!match) throw new Error(`not one <svg> element: ${text.slice(0, 80)}`);
  const attrs = {};
  for (const [, name, value] of match[1].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[name] = value;
  return { attrs, viewBox: attrs.viewBox, body: match[2].replace(/\n\s*/g, "") };
}

/** `body` (in `viewBox` units) centred in the tile, keeping its proportions. */
function tile(viewBox, body) {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${TILE_W}" height="${TILE_H}" viewBox="0 0 ${TILE_W} ${TILE_H}">` +
    `<rect x=".5" y=".5" width="${TILE_W - 1}" height="${TILE_H - 1}" rx="3.5" fill="#FFF" stroke="${OUTLINE}"/>` +
    `<svg x="${PAD}" y="${PAD}" width="${TILE_W - 2 * PAD}" height="${TILE_H - 2 * PAD}" viewBox="${viewBox}">${body}</svg>` +
    `</svg>\n`
  );
}

/** An icon of the Iconify JSON set `logos` (gilbarbara/logos, CC0-1.0). */
function iconify(name) {
  const set = JSON.parse(readFileSync(join(modules, "@iconify-json/logos/icons.json"), "utf8"));
  const icon = set.icons[name];
  if (!icon) throw new Error(`@iconify-json/logos has no ${name}`);
  const w = icon.width ?? set.width;
  const h = icon.height ?? set.height;
  return tile(`${icon.left ?? 0} ${icon.top ?? 0} ${w} ${h}`, icon.body);
}

/** A react-pay-icons component (MIT), rendered to static SVG markup. */
async function payIcon(file, exportName = "default") {
  const module = await import(pathToFileURL(join(modules, "react-pay-icons/lib", file)).href);
  return renderToStaticMarkup(createElement(module[exportName]));
}

/** A Lucide pictogram (ISC), its strokes in one neutral ink, in the tile. */
function lucide(name) {
  const { attrs, body } = split(readFileSync(join(modules, "lucide-static/icons", `${name}.svg`), "utf8"));
  const keep = ["fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin"]
    .filter((a) => attrs[a] !== undefined)
    .map((a) => `${a}="${attrs[a] === "currentColor" ? PICTOGRAM_INK : attrs[a]}"`)
    .join(" ");
  return tile(attrs.viewBox, `<g ${keep}>${body}</g>`);
}

const marks = {
  visa: () => iconify("visa"),
  mastercard: () => iconify("mastercard"),
  apple_pay: () => iconify("apple-pay"),
  google_pay: () => iconify("google-pay"),
  vipps: async () => {
    // Drawn by its package as a whole tile in Vipps orange: kept as drawn, sized as the others.
    const { viewBox, body } = split(await payIcon("Vipps.js"));
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${TILE_W}" height="${TILE_H}" viewBox="${viewBox}">${body}</svg>\n`;
  },
  crypto: async () => {
    const { viewBox, body } = split(await payIcon("crypto/index.js", "Generic"));
    return tile(viewBox, body);
  },
  card: () => lucide("credit-card"),
  invoice: () => lucide("receipt-text"),
  booking_page: () => lucide("calendar-check"),
};

mkdirSync(out, { recursive: true });
for (const [name, make] of Object.entries(marks)) {
  const svg = await make();
  writeFileSync(join(out, `${name}.svg`), svg);
  console.log(`${name}.svg\t${svg.length} B`);
}
