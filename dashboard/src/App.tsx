import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Provider, useQuery, useSubscription } from "urql";
import { claimedRole, takeToken, keepToken } from "./auth";
import { connect } from "./client";
import { Page, usePage as usePageContext, type PageContext } from "./context";
import { PERIODS, TABS, parseState, stateSearch, type Tab, type ViewState } from "./filters";
import { TEXTS } from "./i18n";
import { AlertRaised, LiveStats, MeQuery } from "./queries";
import { Overview, Requests, Financial, Satisfaction, Technicians, Security, Trends } from "./tabs/StatsTabs";
import { Live, type LiveFigures } from "./tabs/Live";
import { Alerts, AlertCard } from "./tabs/Alerts";
import { Exports } from "./tabs/Exports";
import type { AlertItemFragment } from "../generated/graphql";

const ZONE_KEY = "teliman-stats.zone";

// the grid library is only loaded when a dashboard is opened
const Boards = lazy(() => import("./tabs/Boards").then((m) => ({ default: m.Boards })));

function SignIn({ onToken, message, lang }: { onToken: (token: string) => void; message?: string; lang: "fr" | "en" }) {
  const t = TEXTS[lang];
  const [value, setValue] = useState("");
  return (
    <main className="sign-in">
      <h1>{t.title}</h1>
      <h2>{t.signIn.heading}</h2>
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
      <p>{t.signIn.explain}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label>
          {t.signIn.field}
          <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} name="token" />
        </label>
        <button type="submit">{t.signIn.submit}</button>
      </form>
    </main>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(() => takeToken());
  const lang = parseState(window.location.search).lang;
  const gateway = useMemo(() => (token ? connect(token) : null), [token]);
  useEffect(() => () => void gateway?.ws.dispose(), [gateway]);
  const signIn = (next: string | null) => {
    keepToken(next);
    setToken(next);
  };
  if (!gateway || !token) return <SignIn onToken={signIn} lang={lang} />;
  return (
    <Provider value={gateway.client}>
      <Gate token={token} onSignOut={() => signIn(null)} lang={lang} />
    </Provider>
  );
}

/** Who the token is: the dashboard for an admin, a message for anyone else. */
function Gate({ token, onSignOut, lang }: { token: string; onSignOut: () => void; lang: "fr" | "en" }) {
  const t = TEXTS[lang];
  const [{ data, error, fetching }] = useQuery({ query: MeQuery });
  // a token that says it is an admin's gets the page at once, in parallel with `me`
  const hint = claimedRole(token);
  if (fetching && !data) {
    return hint === "admin" ? <Dashboard token={token} onSignOut={onSignOut} who="" /> : <p className="muted">{t.loading}</p>;
  }
  if (error || !data?.me) {
    return <SignIn lang={lang} message={t.signIn.invalid} onToken={(next) => { keepToken(next); window.location.reload(); }} />;
  }
  if (data.me.role !== "admin") {
    return (
      <main className="sign-in" data-refused>
        <h1>{t.title}</h1>
        <p role="alert">{t.signIn.notAdmin}</p>
        <p className="muted">{data.me.email}</p>
        <button type="button" onClick={onSignOut}>
          {t.signIn.signOut}
        </button>
      </main>
    );
  }
  return <Dashboard token={token} onSignOut={onSignOut} who={data.me.fullName} />;
}

function liveInterval(): number {
  const n = Number(new URLSearchParams(window.location.search).get("live"));
  return Number.isInteger(n) && n >= 5 && n <= 3600 ? n : 30;
}

function Dashboard({ token, onSignOut, who }: { token: string; onSignOut: () => void; who: string }) {
  const [state, setState] = useState<ViewState>(() => parseState(window.location.search));
  const [zone, setZone] = useState<string>(() => localStorage.getItem(ZONE_KEY) ?? "UTC");
  const [choices, setChoices] = useState<{ cities: string[]; specialties: string[] }>({ cities: [], specialties: [] });
  const [tick, setTick] = useState(0);
  const [live, setLive] = useState<LiveFigures | null>(null);
  const [toasts, setToasts] = useState<AlertItemFragment[]>([]);
  const [alertVersion, setAlertVersion] = useState(0);
  const interval = useMemo(liveInterval, []);
  const t = TEXTS[state.lang];

  useEffect(() => {
    document.documentElement.lang = state.lang;
    const search = stateSearch(state, window.location.search);
    if (search !== window.location.search) window.history.pushState(null, "", window.location.pathname + search);
  }, [state]);
  useEffect(() => {
    const back = () => setState(parseState(window.location.search));
    window.addEventListener("popstate", back);
    return () => window.removeEventListener("popstate", back);
  }, []);

  // the live feed: the real-time cards, and a refresh of the tab in view at each push
  const [liveResult] = useSubscription({ query: LiveStats, variables: { interval } });
  const hadLive = useRef(false);
  useEffect(() => {
    if (liveResult.data) {
      // the first value comes at once on subscribing: only later ones are news
      if (hadLive.current) setTick((n) => n + 1);
      hadLive.current = true;
      setLive(liveResult.data.liveStats);
    }
  }, [liveResult.data]);
  const [raised] = useSubscription({ query: AlertRaised });
  useEffect(() => {
    const alert = raised.data?.alertRaised;
    if (alert) {
      setToasts((list) => [alert, ...list.filter((a) => a.id !== alert.id)].slice(0, 3));
      setAlertVersion((n) => n + 1);
    }
  }, [raised.data]);

  const update = useCallback((patch: Partial<ViewState>) => setState((s) => ({ ...s, ...patch })), []);
  const onChoices = useCallback((cities: string[], specialties: string[]) => {
    setChoices((c) => (c.cities.join("\n") === cities.join("\n") && c.specialties.join("\n") === specialties.join("\n") ? c : { cities, specialties }));
  }, []);
  const onZone = useCallback((z: string) => {
    setZone(z);
    localStorage.setItem(ZONE_KEY, z);
  }, []);
  const page: PageContext = { lang: state.lang, t, zone, state, update, tick, onChoices, onZone };

  return (
    <Page.Provider value={page}>
      <a className="skip" href="#panel">
        {t.tabs[state.tab]}
      </a>
      <header className="top">
        <h1>{t.title}</h1>
        <div className="who">
          <span className="muted">{who}</span>
          <button type="button" onClick={() => update({ lang: state.lang === "fr" ? "en" : "fr" })} aria-label={t.languageLabel} lang={state.lang === "fr" ? "en" : "fr"}>
            {t.language}
          </button>
          <button type="button" onClick={onSignOut}>
            {t.signIn.signOut}
          </button>
        </div>
      </header>
      <Filters choices={choices} />
      <TabList />
      <main id="panel" role="tabpanel" aria-labelledby={`tab-${state.tab}`} tabIndex={-1} data-tab={state.tab}>
        {state.tab === "overview" && <Overview />}
        {state.tab === "requests" && <Requests />}
        {state.tab === "financial" && <Financial />}
        {state.tab === "satisfaction" && <Satisfaction />}
        {state.tab === "technicians" && <Technicians />}
        {state.tab === "security" && <Security />}
        {state.tab === "trends" && <Trends />}
        {state.tab === "realtime" && <Live live={live} interval={interval} />}
        {state.tab === "alerts" && <Alerts version={alertVersion} />}
        {state.tab === "exports" && <Exports token={token} />}
        {state.tab === "dashboards" && (
          <Suspense fallback={<p className="muted">{t.loading}</p>}>
            <Boards />
          </Suspense>
        )}
      </main>
      <div className="toasts" aria-live="assertive">
        {toasts.map((a) => (
          <div key={a.id} className="toast" role="alert" data-toast={a.id}>
            <p className="toast-title">{t.alerts.raised}</p>
            <AlertCard
              alert={a}
              actions={
                <button type="button" onClick={() => setToasts((list) => list.filter((x) => x.id !== a.id))}>
                  {t.alerts.dismiss}
                </button>
              }
            />
          </div>
        ))}
      </div>
    </Page.Provider>
  );
}

function TabList() {
  const { t, state, update } = usePageContext();
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const go = (tab: Tab, focus: boolean) => {
    update({ tab });
    if (focus) refs.current[tab]?.focus();
  };
  return (
    <nav aria-label={t.title}>
      <div role="tablist" className="tabs">
        {TABS.map((tab, i) => (
          <button
            key={tab}
            ref={(el) => {
              refs.current[tab] = el;
            }}
            id={`tab-${tab}`}
            role="tab"
            type="button"
            aria-selected={state.tab === tab}
            aria-controls="panel"
            tabIndex={state.tab === tab ? 0 : -1}
            onClick={() => go(tab, false)}
            onKeyDown={(e) => {
              const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? TABS.length - 1 : null;
              if (next === null) return;
              e.preventDefault();
              go(TABS[(next + TABS.length) % TABS.length], true);
            }}
          >
            {t.tabs[tab]}
          </button>
        ))}
      </div>
    </nav>
  );
}

function Filters({ choices }: { choices: { cities: string[]; specialties: string[] } }) {
  const { t, state, update } = usePageContext();
  const custom = !!(state.from || state.to);
  const [from, setFrom] = useState(state.from?.slice(0, 10) ?? "");
  const [to, setTo] = useState(state.to?.slice(0, 10) ?? "");
  useEffect(() => {
    setFrom(state.from?.slice(0, 10) ?? "");
    setTo(state.to?.slice(0, 10) ?? "");
  }, [state.from, state.to]);
  const cities = state.city && !choices.cities.includes(state.city) ? [state.city, ...choices.cities] : choices.cities;
  const specialties = state.specialty && !choices.specialties.includes(state.specialty) ? [state.specialty, ...choices.specialties] : choices.specialties;
  return (
    <form className="filters" aria-label={t.period} onSubmit={(e) => e.preventDefault()}>
      <fieldset className="segmented">
        <legend>{t.period}</legend>
        {PERIODS.map((p) => (
          <label key={p}>
            <input type="radio" name="period" value={p} checked={!custom && state.period === p} onChange={() => update({ period: p, from: null, to: null })} />
            {t.periods[p]}
          </label>
        ))}
      </fieldset>
      <fieldset className="range">
        <legend>{t.custom}</legend>
        <label>
          {t.from}
          <input type="date" name="from" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t.to}
          <input type="date" name="to" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="button" onClick={() => update({ from: from || null, to: to || null })} disabled={!from && !to}>
          {t.apply}
        </button>
        {custom && (
          <button type="button" onClick={() => update({ from: null, to: null })}>
            {t.clear}
          </button>
        )}
      </fieldset>
      <label>
        {t.city}
        <select name="city" value={state.city ?? ""} onChange={(e) => update({ city: e.target.value || null })}>
          <option value="">{t.allCities}</option>
          {cities.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.specialty}
        <select name="specialty" value={state.specialty ?? ""} onChange={(e) => update({ specialty: e.target.value || null })}>
          <option value="">{t.allSpecialties}</option>
          {specialties.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

