// A stand-in for EC2 Auto Scaling predictive scaling's forecaster, whose model AWS does not
// publish. What AWS does document, and what this reproduces: a forecast needs at least 24 hours
// of the load metric, uses up to the last 14 days, is hourly, covers the next 48 hours and is
// refreshed every 6 hours (EC2 Auto Scaling user guide, "Predictive scaling for Amazon EC2 Auto
// Scaling", awsdocs/amazon-ec2-auto-scaling-user-guide@7d90761
// doc_source/ec2-auto-scaling-predictive-scaling.md). The model itself is ours: for each target
// hour, the median of the same hour of day on past days of the same kind (weekday or weekend),
// each rescaled by a linear trend of the daily means. A median ignores the odd spike, the trend
// follows growth. The bench says "stand-in" wherever it reports the forecast's effect.
import { isWeekend } from "./demand-model";

export const FORECAST_LOOKBACK_DAYS = 14;
export const FORECAST_HORIZON_HOURS = 48;
export const FORECAST_REFRESH_HOURS = 6;
export const FORECAST_MIN_HISTORY_HOURS = 24;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Forecast load for absolute hours nowHour .. nowHour + horizon - 1 from `history`, the load
 * metric's hourly values by absolute hour (hour 0 = midnight of day 0, a Monday); only hours
 * before nowHour are read. Undefined while there are fewer than 24 hours of history.
 */
export function forecastLoad(
  history: readonly number[],
  nowHour: number,
  horizon: number = FORECAST_HORIZON_HOURS,
): number[] | undefined {
  const first = Math.max(0, nowHour - FORECAST_LOOKBACK_DAYS * 24);
  if (nowHour - first < FORECAST_MIN_HISTORY_HOURS || history.length < nowHour) return undefined;
  // Daily means of the complete days in the window, and their least-squares line.
  const days: { day: number; mean: number }[] = [];
  for (let d = Math.ceil(first / 24); (d + 1) * 24 <= nowHour; d++) {
    let s = 0;
    for (let h = d * 24; h < (d + 1) * 24; h++) s += history[h];
    days.push({ day: d, mean: s / 24 });
  }
  let a = days.length ? days.reduce((s, x) => s + x.mean, 0) / days.length : 0;
  let b = 0;
  if (days.length >= 3) {
    const mx = days.reduce((s, x) => s + x.day, 0) / days.length;
    const sxx = days.reduce((s, x) => s + (x.day - mx) ** 2, 0);
    b = days.reduce((s, x) => s + (x.day - mx) * (x.mean - a), 0) / sxx;
    a -= b * mx;
  }
  const trend = (day: number) => Math.max(1e-6, a + b * day);
  const useTrend = days.length >= 3 && a + b * days[0].day > 0;

  const out: number[] = [];
  for (let H = nowHour; H < nowHour + horizon; H++) {
    const hod = H % 24;
    const day = Math.floor(H / 24);
    const samples: { v: number; day: number; same: boolean }[] = [];
    for (let h = first + ((hod - (first % 24) + 24) % 24); h < nowHour; h += 24) {
      const d = Math.floor(h / 24);
      samples.push({ v: history[h], day: d, same: isWeekend(d) === isWeekend(day) });
    }
    const same = samples.filter((s) => s.same);
    const use = same.length > 0 ? same : samples;
    out.push(median(use.map((s) => (useTrend ? (s.v * trend(day)) / trend(s.day) : s.v))));
  }
  return out;
}
