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
