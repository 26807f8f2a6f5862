// Writes the carbon-intensity CSV to stdout from an unpacked @tgwf/co2 package
// (argv[2]) and iso-codes' iso_3166-1.json (argv[3]). Called by
// make-intensity-table.sh; the columns are described in data/README.md.
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const [pkgDir, isoJson] = process.argv.slice(2);
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const dataDir = path.join(pkgDir, "dist", "esm", "data");
const load = async (p) => import(url.pathToFileURL(path.join(dataDir, p)).href);

const iso = JSON.parse(fs.readFileSync(isoJson, "utf8"))["3166-1"];
const byAlpha2 = new Map(iso.map((c) => [c.alpha_2, c]));
const byAlpha3 = new Map(iso.map((c) => [c.alpha_3, c]));
// Kosovo has no ISO 3166-1 code; both data sets use the user-assigned XK/XKX.
byAlpha2.set("XK", { alpha_2: "XK", alpha_3: "XKX", name: "Kosovo" });
byAlpha3.set("XKX", byAlpha2.get("XK"));
const isoName = (c) => c.common_name || c.name;

const csvField = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const rows = [];
const add = (r) => rows.push([r.code, r.alpha2, r.alpha3, r.name, r.year, r.value, r.source]);

// Electricity Maps: the newest yearly file the package ships.
const em = (await load("electricity-maps/index.js")).default;
const years = Object.keys(em).map((k) => Number(k.replace("yearly", ""))).filter(Number.isFinite);
const year = Math.max(...years);
const zones = em[`yearly${year}`].data;
for (const key of Object.keys(zones).sort()) {
  const z = zones[key];
  const v = z?.carbonIntensity?.value;
  if (typeof v !== "number" || !Number.isFinite(v)) continue;
  const alpha2 = key.split("-")[0];
  const country = byAlpha2.get(alpha2);
  let name = z.zone?.zoneName || key;
  if (z.zone?.countryName && z.zone.countryName !== name) name += ` (${z.zone.countryName})`;
  add({ code: key, alpha2: country ? alpha2 : "", alpha3: country ? country.alpha_3 : "",
        name, year: String(year), value: String(v), source: "electricitymaps" });
}

// Ember: latest yearly figure per country (the package does not say which year)
// plus regional aggregates such as WORLD.
const ember = (await load("average-intensities.min.js")).data;
for (const key of Object.keys(ember).sort()) {
  const v = ember[key];
  if (typeof v !== "number" || !Number.isFinite(v)) continue;
  const country = byAlpha3.get(key);
  const name = country ? isoName(country) : key;
  add({ code: key, alpha2: country ? country.alpha_2 : "", alpha3: country ? key : "",
        name, year: "", value: String(v), source: "ember" });
}

process.stdout.write("code,alpha2,alpha3,name,year,g_co2e_per_kwh,source\n");
for (const r of rows) process.stdout.write(r.map(csvField).join(",") + "\n");
