// `npm run report`, run as a user runs it, and its page opened in a real headless Chromium
// (Debian's chromium, driven by playwright-core; no browser download): it loads without console
// errors, asks the network for nothing, and every chart has drawn marks.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { PROJECT_DIR } from "./helpers/program";
import { requireTools } from "./helpers/tools";
import { renderReport } from "../lib/report/html";
import type { PlanRun } from "../lib/plan/run";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Set to rewrite the README's screenshot from this run. */
const WRITE_DOCS_SCREENSHOT = process.env.WRITE_DOCS_SCREENSHOT === "1";

/**
 * Runs in the page (a string: this project's TypeScript has no DOM types): per chart, the path
 * and rect elements the browser laid out with a non-zero width and height, leaving out the
 * full-size background rect. Axis and grid lines are one pixel lines of zero height or width, so
 * what is left are the series' bars, lines and legend swatches.
 */
const COUNT_MARKS = `[...document.querySelectorAll("figure.chart")].map((f) => {
  const svg = f.querySelector("svg");
  const w = Number(svg.getAttribute("width"));
  const h = Number(svg.getAttribute("height"));
  const marks = [...svg.querySelectorAll("path, rect")].filter((el) => {
    const b = el.getBBox();
    const background = Math.round(b.width) === w && Math.round(b.height) === h;
    return b.width > 0 && b.height > 0 && !background;
  }).length;
  return { id: f.getAttribute("data-chart") || "", marks };
})`;

interface ChartMarks {
  id: string;
  /** path/rect elements with a non-zero width and height, the SVG's background excluded. */
  marks: number;
}

describe("npm run report", function () {
  this.timeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-report-"));
  const page = path.join(dir, "report.html");
  let run: ReturnType<typeof spawnSync>;
  let html = "";

  before(() => {
    run = spawnSync("npm", ["run", "--silent", "report", "--", "--out", page], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    });
    if (fs.existsSync(page)) html = fs.readFileSync(page, "utf8");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes one self-contained page: no script, nothing to fetch, a CSP that forbids it", () => {
    expect(run.status, String(run.stderr)).to.equal(0);
    expect(String(run.stdout)).to.equal(`wrote ${page}\n`);
    expect(html).to.match(/^<!doctype html>/);
    // ECharts clips series with clip-path="url(#zr1-c0)": a reference into the page, allowed.
    expect(html).not.to.match(/<script|<link|<img|<iframe|@import|url\((?!#)/i);
    // Seven inline SVGs share one document: their ids (clip paths) must not collide.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(html).not.to.match(/\s(src|href)="(?!#)/);
    expect(html).to.include(
      `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`,
    );
    // The fleet overview and each region's sections.
    expect(html).to.include("Fleet overview");
    for (const stack of ["prod-us-east-1", "prod-eu-west-1"]) {
      expect(html).to.include(`id="stack-${stack}"`);
    }
  });

  describe("in headless Chromium", () => {
    let browser: Browser | undefined;
    const requests: string[] = [];
    const errors: string[] = [];
    let charts: ChartMarks[] = [];
    let screenshot = "";

    before(async function () {
      requireTools(this, "chromium");
      expect(html, "the report was not written").not.to.equal("");
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      const p = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      p.on("request", (r) => requests.push(r.url()));
      p.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      p.on("pageerror", (e) => errors.push(String(e)));
      await p.goto(pathToFileURL(page).href, { waitUntil: "load" });
      charts = await p.evaluate<ChartMarks[]>(COUNT_MARKS);
      screenshot = WRITE_DOCS_SCREENSHOT
        ? path.join(PROJECT_DIR, "docs", "images", "report.png")
        : path.join(dir, "report.png");
      // The overview and the first region's hourly charts.
      await p.screenshot({
        path: screenshot,
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height: 1400 },
      });
    });
    after(async () => {
      await browser?.close();
    });

    it("loads without a console error", () => {
      expect(errors).to.deep.equal([]);
    });

    it("makes no network request: the page itself is the only thing loaded", () => {
      expect(requests).to.deep.equal([pathToFileURL(page).href]);
    });

    it("every chart has drawn marks (24 hourly bars, cost bars)", () => {
      const ids = charts.map((c) => c.id);
      expect(ids).to.have.members([
        "fleet-cost",
        "prod-eu-west-1-streams",
        "prod-eu-west-1-pixels",
        "prod-eu-west-1-cost",
        "prod-us-east-1-streams",
        "prod-us-east-1-pixels",
        "prod-us-east-1-cost",
      ]);
      for (const c of charts) {
        // Hourly charts: 24 demand bars plus the capacity line; cost charts: a bar per line.
        const least = /-(streams|pixels)$/.test(c.id) ? 25 : 5;
        expect(c.marks, c.id).to.be.at.least(least);
      }
    });

    it("a screenshot is taken (docs/images/report.png with WRITE_DOCS_SCREENSHOT=1)", () => {
      const png = fs.readFileSync(screenshot);
      expect(png.subarray(1, 4).toString()).to.equal("PNG");
      expect(png.length).to.be.greaterThan(20_000);
    });
  });

  it("shows a stack that could not be planned with its problems, the others still shown", () => {
    const page = renderReport(
      {
        stacks: [
          {
            stack: "prod-eu-west-1",
            role: "region",
            region: "eu-west-1",
            error: {
              kind: "invalid-config",
              problems: [
                {
                  file: "Pulumi.prod-eu-west-1.yaml",
                  keyPath: "livepeer-fleet:nodeGroup.maxSize",
                  message: "expected a number >= 1 (got 0)",
                },
              ],
            },
          },
        ],
        fleet: {
          monthlyCostUsd: {
            total: 0,
            lines: [],
            stacks: [],
            notCounted: [{ stack: "prod-eu-west-1", why: "not planned (see its errors)" }],
          },
          fleets: [],
          cidrOverlaps: [],
          sharedRedeemers: [],
          exampleValues: [],
          warnings: 0,
        },
      } satisfies PlanRun,
      new Date(0),
    );
    expect(page).to.include('<section class="region failed" id="stack-prod-eu-west-1">');
    expect(page).to.include(
      "<code>Pulumi.prod-eu-west-1.yaml: livepeer-fleet:nodeGroup.maxSize: expected a number &gt;= 1 (got 0)</code>",
    );
    expect(page).to.include("not in the total: prod-eu-west-1");
  });
});
