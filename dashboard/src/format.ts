// Number and date formatting, French by default. Money arrives as exact decimal strings
// and is formatted from the string (Intl.NumberFormat takes decimal strings exactly), never
// through a binary float.

export type Lang = "fr" | "en";

const LOCALE: Record<Lang, string> = { fr: "fr-FR", en: "en-GB" };

const cache = new Map<string, Intl.NumberFormat>();
function nf(lang: Lang, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = lang + JSON.stringify(options);
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALE[lang], options);
    cache.set(key, f);
  }
  return f;
}

/** Narrow no-break spaces (French grouping) as plain no-break spaces: one kind of space. */
function spaces(s: string): string {
  return s.replace(/\u202f/g, "\u00a0");
}

/** `1 250 000 FCFA` (cards: rounded to the franc) or `1 250 000,50 FCFA` (tables). */
export function money(value: string, lang: Lang, cents = false): string {
  const digits = cents ? 2 : 0;
  const n = nf(lang, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    roundingMode: "halfExpand",
  } as Intl.NumberFormatOptions);
  // a decimal string is formatted exactly (Intl.NumberFormat v3)
  return spaces(n.format(value as unknown as number)) + "\u00a0FCFA";
}

/** `12 345`. */
export function integer(value: number, lang: Lang): string {
  return spaces(nf(lang, { maximumFractionDigits: 0 }).format(value));
}

/** `1,2 M` for an axis. */
export function compact(value: number, lang: Lang): string {
  return spaces(nf(lang, { notation: "compact", maximumFractionDigits: 1 }).format(value));
}

/** `93,4 %` from a percentage (0 to 100). */
export function percent(value: number, lang: Lang): string {
  return spaces(
    nf(lang, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
      value / 100,
    ),
  );
}

/** `12,5 h`. */
export function hours(value: number, lang: Lang): string {
  return spaces(nf(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value)) + "\u00a0h";
}

/** `4,32 / 5`. */
export function rating(value: number, lang: Lang): string {
  return spaces(nf(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value)) + "\u00a0/\u00a05";
}

/** A value of `unit` (the catalog's units). */
export function byUnit(value: unknown, unit: string, lang: Lang, cents = false): string {
  if (value === null || value === undefined) return "—";
  switch (unit) {
    case "money":
      return money(String(value), lang, cents);
    case "percent":
      return percent(Number(value), lang);
    case "hours":
      return hours(Number(value), lang);
    case "rating":
      return rating(Number(value), lang);
    default:
      return typeof value === "number" ? integer(value, lang) : String(value);
  }
}

/** Relative change of `now` against `before`: `▲ 12,4 %`, `▼ 3,0 %`, `= 0,0 %`; null when
 * there is nothing to compare with (no earlier figure, or an earlier zero). */
export function change(now: number | string, before: number | string | null | undefined, lang: Lang): { text: string; direction: "up" | "down" | "same" } | null {
  if (before === null || before === undefined) return null;
  const a = Number(now);
  const b = Number(before);
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  const pct = ((a - b) / Math.abs(b)) * 100;
  const rounded = Math.round(pct * 10) / 10;
  const direction = rounded > 0 ? "up" : rounded < 0 ? "down" : "same";
  const arrow = direction === "up" ? "▲" : direction === "down" ? "▼" : "=";
  return { text: `${arrow}\u00a0${percent(Math.abs(rounded), lang)}`, direction };
}

/** `24/11/2026` in the reporting zone. */
export function date(iso: string, zone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALE[lang], {
    timeZone: zone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(new Date(iso));
}

/** `24/11/2026 14:05` in the reporting zone. */
export function dateTime(iso: string, zone: string, lang: Lang): string {
  return spaces(
    new Intl.DateTimeFormat(LOCALE[lang], {
      timeZone: zone,
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
    })
      .format(new Date(iso))
      .replace(",", ""),
  );
}

/** `nov. 2026` / `Nov 2026`: a month bucket in the reporting zone. */
export function month(iso: string, zone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { timeZone: zone, month: "short", year: "numeric" }).format(new Date(iso));
}

/** How old a figure is: `il y a 12 s`, `2 min ago`. */
export function age(iso: string, now: number, lang: Lang): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const rtf = new Intl.RelativeTimeFormat(LOCALE[lang], { numeric: "always", style: "short" });
  if (seconds < 60) return spaces(rtf.format(-seconds, "second"));
  if (seconds < 3600) return spaces(rtf.format(-Math.floor(seconds / 60), "minute"));
  if (seconds < 86400) return spaces(rtf.format(-Math.floor(seconds / 3600), "hour"));
  return spaces(rtf.format(-Math.floor(seconds / 86400), "day"));
}

/** The UTC instant of midnight starting `day` (YYYY-MM-DD) in `zone`. */
export function zoneMidnight(day: string, zone: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  // the zone's offset at an instant, from how Intl writes that instant there
  const offset = (t: number) => {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(new Date(t));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    return local - t;
  };
  let t = guess - offset(guess);
  t = guess - offset(t); // again, in case the first guess crossed a change of offset
  return new Date(t);
}
