// Where a request entered the network (from the Worker's request.cf) and how far that is
// from an origin, reduced to a proximity rank the choice rule can compare.

import type { OriginSpec } from "../catalog/types.ts";

export interface CallerLocation {
  continent: string | null;
  country: string | null;
  colo: string | null;
  lat: number | null;
  lon: number | null;
}

export const UNKNOWN_LOCATION: CallerLocation = { continent: null, country: null, colo: null, lat: null, lon: null };

/** Origins within this distance of the caller count as equally near. */
export const NEAR_KM = 1500;
/** Beyond NEAR_KM, one rank per this many kilometres. */
export const BAND_KM = 3000;
/** Rank for an origin whose distance cannot be told (another continent, or no data). */
export const FAR_RANK = 4;

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
function coord(v: unknown, max: number): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) && Math.abs(n) <= max ? n : null;
}

/** request.cf is untrusted in shape (absent locally, strings for coordinates): read it once here. */
export function callerLocation(cf: unknown): CallerLocation {
  if (typeof cf !== "object" || cf === null) return UNKNOWN_LOCATION;
  const r = cf as Record<string, unknown>;
  const lat = coord(r.latitude, 90);
  const lon = coord(r.longitude, 180);
  return {
    continent: str(r.continent),
    country: str(r.country),
    colo: str(r.colo),
    lat: lat !== null && lon !== null ? lat : null,
    lon: lat !== null && lon !== null ? lon : null,
  };
}

/** Great-circle distance in kilometres. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * 0 = near (within NEAR_KM, or on the caller's continent when coordinates are missing);
 * larger = farther. Coordinates win over continents; nothing known ranks FAR_RANK.
 */
export function proximityRank(loc: CallerLocation, origin: Pick<OriginSpec, "continent" | "lat" | "lon">): number {
  if (loc.lat !== null && loc.lon !== null && origin.lat !== undefined && origin.lon !== undefined) {
    const km = haversineKm(loc.lat, loc.lon, origin.lat, origin.lon);
    return km <= NEAR_KM ? 0 : 1 + Math.floor((km - NEAR_KM) / BAND_KM);
  }
  if (loc.continent !== null && origin.continent !== undefined && loc.continent === origin.continent) return 0;
  return FAR_RANK;
}
