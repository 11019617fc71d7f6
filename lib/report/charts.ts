// The report's charts, rendered on the server to SVG by Apache ECharts' SSR renderer
// (echarts.init(null, null, { renderer: "svg", ssr: true }) + renderToSVGString(): the
// "Server-Side Rendering" handbook page). The page gets finished SVG markup: no script, nothing
// to fetch, the same picture in every browser and in a mail client.
import * as echarts from "echarts";
import type { CapacityReport } from "../plan/capacity";
import type { CostSum } from "../plan/fleet";

/** One chart: its title and the SVG markup. */
export interface Chart {
  id: string;
  title: string;
  svg: string;
}

const WIDTH = 560;
const HEIGHT = 260;
/** Colour-blind-safe pair (Okabe-Ito blue and vermillion) for demand against capacity. */
const DEMAND = "#0072B2";
const CAPACITY = "#D55E00";
const TARGET = "#999999";
const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));

function render(option: echarts.EChartsCoreOption, width = WIDTH, height = HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  // Animation off: the SSR string is the first frame, which an animation would leave empty.
  chart.setOption({ animation: false, textStyle: { fontFamily: "sans-serif" }, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

// The SSR renderer measures text without a browser, a little narrow: wide gaps keep legend
// entries from running into each other.
const LEGEND = { top: 2, left: 8, itemWidth: 14, itemHeight: 8, itemGap: 28 };

const base = {
  grid: { left: 56, right: 16, top: 56, bottom: 40 },
  legend: LEGEND,
  xAxis: { type: "category", data: HOURS, name: "UTC hour", nameLocation: "middle", nameGap: 26 },
};

/** Demand against planned capacity by hour, in concurrent streams. */
export function streamsChart(id: string, c: CapacityReport): Chart {
  const series: Record<string, unknown>[] = [];
  if (c.hourly.some((h) => h.demandStreams !== null)) {
    series.push({
      name: "peak demand (streams)",
      type: "bar",
      data: c.hourly.map((h) => h.demandStreams ?? 0),
      itemStyle: { color: DEMAND },
    });
  }
  if (c.sessionsPerNode !== null) {
    series.push({
      name: "capacity (-maxSessions x nodes)",
      type: "line",
      step: "middle",
      data: c.hourly.map((h) => h.instances * c.sessionsPerNode),
      itemStyle: { color: CAPACITY },
      lineStyle: { width: 2 },
      symbolSize: 4,
    });
  }
  if (c.targetSessionsPerNode !== null) {
    series.push({
      name: "scaling target",
      type: "line",
      step: "middle",
      data: c.hourly.map((h) => Math.round(h.instances * c.targetSessionsPerNode! * 10) / 10),
      itemStyle: { color: TARGET },
      lineStyle: { width: 1, type: "dashed" },
      symbol: "none",
    });
  }
  return {
    id,
    title: "Concurrent streams by hour",
    svg: render({ ...base, yAxis: { type: "value", name: "streams" }, series }),
  };
}

const gpx = (px: number | null) => (px === null ? 0 : Math.round((px / 1e9) * 100) / 100);

/** Demand against planned capacity by hour, in transcoded gigapixels per second. */
export function pixelsChart(id: string, c: CapacityReport): Chart {
  const series: Record<string, unknown>[] = [];
  if (c.hourly.some((h) => h.demandPixelsPerSecond !== null)) {
    series.push({
      name: "peak demand (Gpx/s)",
      type: "bar",
      data: c.hourly.map((h) => gpx(h.demandPixelsPerSecond)),
      itemStyle: { color: DEMAND },
    });
  }
  if (c.hourly.some((h) => h.capacityPixelsPerSecond !== null)) {
    series.push({
      name: "capacity (Gpx/s)",
      type: "line",
      step: "middle",
      data: c.hourly.map((h) => gpx(h.capacityPixelsPerSecond)),
      itemStyle: { color: CAPACITY },
      lineStyle: { width: 2 },
      symbolSize: 4,
    });
  }
  return {
    id,
    title: "Transcoded pixels per second by hour",
    svg: render({ ...base, yAxis: { type: "value", name: "Gpx/s" }, series }),
  };
}

/** Monthly cost by line, one horizontal bar each. */
export function costChart(
  id: string,
  title: string,
  lines: { label: string; usd: number | null }[],
): Chart {
  const priced = lines.filter((l) => l.usd !== null && l.usd > 0).reverse();
  return {
    id,
    title,
    svg: render(
      {
        grid: { left: 96, right: 72, top: 12, bottom: 28 },
        xAxis: { type: "value", name: "USD/month", nameLocation: "middle", nameGap: 20 },
        yAxis: { type: "category", data: priced.map((l) => l.label) },
        series: [
          {
            type: "bar",
            data: priced.map((l) => Math.round(l.usd! * 100) / 100),
            itemStyle: { color: DEMAND },
            label: {
              show: true,
              position: "right",
              formatter: (p: { value: number }) => `$${p.value.toFixed(2)}`,
            },
          },
        ],
      },
      WIDTH,
      Math.max(120, 40 + priced.length * 28),
    ),
  };
}

/** The fleet's regions side by side: monthly cost, stacked by line. */
export function fleetCostChart(
  id: string,
  stacks: { stack: string; lines: { label: string; usd: number | null }[] }[],
  sum: CostSum,
): Chart {
  const labels = sum.lines.filter((l) => l.usd !== null && l.usd > 0).map((l) => l.label);
  const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];
  return {
    id,
    title: "Monthly cost by region",
    svg: render(
      {
        grid: { left: 64, right: 16, top: 60, bottom: 48 },
        legend: LEGEND,
        xAxis: { type: "category", data: stacks.map((s) => s.stack), axisLabel: { interval: 0 } },
        yAxis: { type: "value", name: "USD/month" },
        series: labels.map((label, i) => ({
          name: label,
          type: "bar",
          stack: "cost",
          itemStyle: { color: palette[i % palette.length] },
          data: stacks.map((s) => s.lines.find((l) => l.label === label)?.usd ?? 0),
        })),
      },
      Math.max(640, 120 + stacks.length * 90),
      240,
    ),
  };
}
