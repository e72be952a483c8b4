// The admin's token: taken from a sign-in link (`/?token=<jwt>`) or the sign-in field, kept
// in this browser, and dropped from the address bar at once (so it is not bookmarked,
// shared or sent as a referrer).

const KEY = "teliman-stats.token";

/** The token of the address (then removed from it) or the one kept earlier. */
export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromLink = url.searchParams.get("token");
  if (fromLink !== null) {
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    if (fromLink.trim()) {
      keepToken(fromLink.trim());
      return fromLink.trim();
    }
  }
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function keepToken(token: string | null): void {
  try {
    if (token) window.localStorage.setItem(KEY, token);
    else window.localStorage.removeItem(KEY);
  } catch {
    // private mode: the token lives in memory only
  }
}

/** The role a token claims (its payload, unverified): only a hint to start loading the
 * admin's page while `me` confirms it; the gateway checks every request itself. */
export function claimedRole(token: string): string | null {
  try {
    const payload = token.split(".")[1];
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const role = (JSON.parse(json) as { role?: unknown }).role;
    return typeof role === "string" ? role : null;
  } catch {
    return null;
  }
}
