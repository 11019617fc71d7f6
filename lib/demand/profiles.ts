// go-livepeer transcoding profile names -> renditions. The `profiles` label of
// livepeer_segment_transcoded_total is common.ProfilesNames(): the ladder's profile names,
// sorted, joined by "," (go-livepeer common/util.go). Two naming styles occur:
//  - lpms built-ins such as P720p30fps16x9 (lpms ffmpeg/videoprofile.go VideoProfileLookup);
//  - names from a JSON transcoding config such as "720p0" (go-livepeer
//    cmd/livepeer_bench/transcodingOptions.json), whose fps 0 means "the source's frame rate".
import type { Rendition } from "../sizing/planner";

/**
 * lpms VideoProfileLookup: name -> [width, height, fps]. Also what the orchestrators' demand
 * publisher is told (lib/runtime/values.ts), so both read profile names alike.
 */
export const LPMS_PROFILES: Readonly<Record<string, readonly [number, number, number]>> = {
  P720p60fps16x9: [1280, 720, 60],
  P720p30fps16x9: [1280, 720, 30],
  P720p25fps16x9: [1280, 720, 25],
  P720p30fps4x3: [960, 720, 30],
  P576p30fps16x9: [1024, 576, 30],
  P576p25fps16x9: [1024, 576, 25],
  P360p30fps16x9: [640, 360, 30],
  P360p25fps16x9: [640, 360, 25],
  P360p30fps4x3: [480, 360, 30],
  P240p30fps16x9: [426, 240, 30],
  P240p25fps16x9: [426, 240, 25],
  P240p30fps4x3: [320, 240, 30],
  P144p30fps16x9: [256, 144, 30],
  P144p25fps16x9: [256, 144, 25],
};

/** Width for a height at an aspect ratio, rounded to the nearest even number as encoders need. */
function widthFor(height: number, aspectW: number, aspectH: number): number {
  return Math.round((height * aspectW) / aspectH / 2) * 2;
}

/** A rendition for a profile name, or undefined when the name says nothing about its size. */
export function parseProfileName(name: string, source: Rendition): Rendition | undefined {
  const known = LPMS_PROFILES[name];
  if (known) return { name, width: known[0], height: known[1], fps: known[2] };
  const lpms = /^P(\d{2,4})p(\d{1,3})fps(\d{1,2})x(\d{1,2})$/.exec(name);
  if (lpms) {
    const [h, fps, aw, ah] = lpms.slice(1).map(Number);
    return { name, width: widthFor(h, aw, ah), height: h, fps };
  }
  // "720p0": a 16:9 rendition at the source's frame rate (the network's common JSON ladder).
  const json = /^(\d{2,4})p\d*$/.exec(name);
  if (json) {
    const h = Number(json[1]);
    return { name, width: widthFor(h, 16, 9), height: h, fps: source.fps };
  }
  return undefined;
}

/** The renditions in one `profiles` label value; throws naming the first unknown profile. */
export function parseProfilesLabel(label: string, source: Rendition): Rendition[] {
  const names = label.split(",").filter((n) => n.length > 0);
  if (names.length === 0) throw new Error("an empty profiles label");
  return names.map((n) => {
    const r = parseProfileName(n, source);
    if (!r) throw new Error(`profile "${n}" does not say its resolution`);
    return r;
  });
}
