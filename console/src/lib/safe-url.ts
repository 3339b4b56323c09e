// Links from data (the catalog's licence and source URLs) only ever open http(s) pages.

export const safeUrl = (u: string): string | undefined => (/^https?:\/\//i.test(u) ? u : undefined);
