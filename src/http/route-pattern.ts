// The regex that matches the paths an itty-router route pattern matches, for the 405
// answers of the fallback: `:name` is one segment, `:name+` one or more.

export function routePattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => (part.startsWith(":") ? (part.endsWith("+") ? ".+" : "[^/]+") : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}
