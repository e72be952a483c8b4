// Personal dashboards: widgets from `metricCatalog` in a 12-column grid (react-grid-layout),
// dragged and resized with the mouse, or by keyboard on the focused widget (arrows move it,
// Shift + arrows resize it); every change is saved with `updateWidget`.

import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import ReactGridLayout, { moveElement, useContainerWidth, verticalCompactor, type Layout, type LayoutItem } from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import { usePage } from "../context";
import { toFilter } from "../filters";
import { AddWidget, DashboardsQuery, RemoveWidget, UpdateWidget } from "../queries";
import { byUnit, dateTime, integer, money, percent, rating } from "../format";
import { BarsChart, PieShares, TrendChart, type SeriesPoint } from "../components/LazyCharts";
import type { DashboardsQuery as DashboardsData, WidgetType } from "../../generated/graphql";

const COLS = 12;
/** List fields that are amounts of money, and ids a table need not show. */
const MONEY = ["revenue", "total", "amount"];
const HIDDEN = ["technicianId", "id"];
type WidgetRow = DashboardsData["dashboards"][number]["widgets"][number];

interface WidgetData {
  value: unknown;
  unit: string;
  asOf: string;
  computedAt: string;
  stale: boolean;
}

/** The new layout after a key press on item `id`, or null for other keys. */
export function keyboardLayout(layout: Layout, id: string, key: string, resize: boolean): Layout | null {
  const item = layout.find((l) => l.i === id);
  if (!item) return null;
  const dx = key === "ArrowLeft" ? -1 : key === "ArrowRight" ? 1 : 0;
  const dy = key === "ArrowUp" ? -1 : key === "ArrowDown" ? 1 : 0;
  if (dx === 0 && dy === 0) return null;
  if (resize) {
    const w = Math.min(COLS - item.x, Math.max(1, item.w + dx));
    const h = Math.max(1, item.h + dy);
    const resized = layout.map((l) => (l.i === id ? { ...l, w, h } : l));
    return verticalCompactor.compact(resized, COLS);
  }
  const x = Math.min(COLS - item.w, Math.max(0, item.x + dx));
  const y = Math.max(0, item.y + dy);
  const copy = layout.map((l) => ({ ...l }));
  const moved = moveElement(copy, copy.find((l) => l.i === id)!, x, y, true, false, "vertical", COLS);
  return verticalCompactor.compact(moved, COLS);
}

function pickLabel(row: Record<string, unknown>): string {
  for (const k of ["key", "method", "name", "ipAddress", "title"]) if (typeof row[k] === "string") return row[k] as string;
  if (typeof row.rating === "number") return `${row.rating} ★`;
  return String(Object.values(row)[0]);
}

function pickValue(row: Record<string, unknown>): number {
  for (const k of ["total", "count", "failed", "reviews", "value"]) if (row[k] !== undefined) return Number(row[k]);
  return 0;
}

function WidgetBody({ widget }: { widget: WidgetRow }) {
  const { lang, t, zone } = usePage();
  let data: WidgetData;
  try {
    data = JSON.parse(widget.data) as WidgetData;
  } catch {
    return <p className="error">{t.error}</p>;
  }
  const { value, unit } = data;
  switch (widget.widgetType) {
    case "KPI":
      return <p className="kpi-value">{byUnit(value, unit, lang)}</p>;
    case "LINE":
      return Array.isArray(value) ? (
        <TrendChart
          points={value as SeriesPoint[]}
          measures={[
            { key: "requests", label: t.charts.requests, unit: "count" },
            { key: "completed", label: t.charts.completed, unit: "count" },
          ]}
        />
      ) : null;
    case "BAR":
    case "PIE": {
      const rows = Array.isArray(value) ? (value as Record<string, unknown>[]).map((r) => ({ key: "bucketStart" in r ? String(r.bucketStart).slice(0, 10) : pickLabel(r), value: "bucketStart" in r ? Number(r.requests) : pickValue(r) })) : [];
      const money = unit === "money" || (Array.isArray(value) && (value as Record<string, unknown>[])[0]?.method !== undefined);
      return widget.widgetType === "BAR" ? <BarsChart rows={rows} label={widget.title} /> : <PieShares rows={rows} label={widget.title} unit={money ? "money" : "count"} />;
    }
    case "ALERTS":
    case "TABLE": {
      const rows = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
      if (widget.widgetType === "ALERTS") {
        return rows.length === 0 ? (
          <p>{t.alerts.none}</p>
        ) : (
          <ul className="widget-alerts">
            {rows.map((r) => (
              <li key={String(r.id)}>
                <strong>{String(r.severity)}</strong> {String(r.title)}
              </li>
            ))}
          </ul>
        );
      }
      const columns = rows[0] ? Object.keys(rows[0]).filter((c) => !HIDDEN.includes(c)).slice(0, 6) : [];
      const cell = (column: string, v: unknown): string => {
        if (v === null || v === undefined) return "";
        if (MONEY.includes(column) && typeof v === "string") return money(v, lang, true);
        if (column.toLowerCase().includes("rating") && typeof v === "number") return rating(v, lang);
        if (column.toLowerCase().includes("rate") && typeof v === "number") return percent(v, lang);
        if (typeof v === "number") return integer(v, lang);
        if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return dateTime(v, zone, lang);
        return String(v);
      };
      return (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">{widget.title}</caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c} scope="col">
                    {(t.columns as Record<string, string>)[c] ?? c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c} className={typeof r[c] === "number" || MONEY.includes(c) ? "num" : undefined}>
                      {cell(c, r[c])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
  }
}

const TYPES_BY_SHAPE: Record<string, WidgetType[]> = {
  SCALAR: ["KPI"],
  SERIES: ["LINE", "BAR"],
  LIST: ["TABLE", "BAR", "PIE"],
};

function AddForm({ catalog, onAdd }: { catalog: DashboardsData["metricCatalog"]; onAdd: (path: string, type: WidgetType, title: string) => void }) {
  const { lang, t } = usePage();
  const [path, setPath] = useState(catalog[0]?.path ?? "");
  const metric = catalog.find((m) => m.path === path);
  const types: WidgetType[] = path === "alerts" ? ["ALERTS"] : TYPES_BY_SHAPE[metric?.type ?? "SCALAR"];
  const [type, setType] = useState<WidgetType>(types[0]);
  const [title, setTitle] = useState("");
  useEffect(() => setType(types[0]), [path]); // eslint-disable-line react-hooks/exhaustive-deps
  const description = metric ? (lang === "fr" ? metric.description : metric.descriptionEn) : "";
  return (
    <form
      className="add-widget"
      onSubmit={(e) => {
        e.preventDefault();
        onAdd(path, type, title.trim() || description || path);
        setTitle("");
      }}
    >
      <label>
        {t.boards.metric}
        <select value={path} onChange={(e) => setPath(e.target.value)} name="metric">
          {catalog.map((m) => (
            <option key={m.path} value={m.path}>
              {m.path} — {lang === "fr" ? m.description : m.descriptionEn}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.boards.type}
        <select value={type} onChange={(e) => setType(e.target.value as WidgetType)} name="type">
          {types.map((ty) => (
            <option key={ty} value={ty}>
              {t.boards.types[ty]}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.boards.widgetTitle}
        <input value={title} onChange={(e) => setTitle(e.target.value)} name="title" placeholder={description} maxLength={100} />
      </label>
      <button type="submit">{t.boards.add}</button>
    </form>
  );
}

export function Boards() {
  const { t, state, zone } = usePage();
  const filter = useMemo(() => toFilter(state, zone), [state, zone]);
  const [{ data, error }, refetch] = useQuery({ query: DashboardsQuery, variables: { filter }, requestPolicy: "cache-and-network" });
  const [, addWidget] = useMutation(AddWidget);
  const [, updateWidget] = useMutation(UpdateWidget);
  const [, removeWidget] = useMutation(RemoveWidget);
  const [boardId, setBoardId] = useState<string | null>(null);
  const [layout, setLayout] = useState<Layout>([]);
  const { width, containerRef, mounted } = useContainerWidth();
  const board = data?.dashboards.find((d) => d.id === boardId) ?? data?.dashboards[0];
  const widgets = useMemo(() => board?.widgets ?? [], [board]);
  useEffect(() => {
    setLayout(widgets.map((w) => ({ i: w.id, x: w.x, y: w.y, w: w.w, h: w.h, minW: 2, minH: 2 })));
  }, [widgets]);

  /** Saves the widgets whose place changed. */
  const save = async (next: Layout) => {
    setLayout(next);
    const changed = next.filter((l) => {
      const w = widgets.find((x) => x.id === l.i);
      return w && (w.x !== l.x || w.y !== l.y || w.w !== l.w || w.h !== l.h);
    });
    await Promise.all(
      changed.map((l) => {
        const w = widgets.find((x) => x.id === l.i)!;
        return updateWidget({ id: w.id, input: { title: w.title, widgetType: w.widgetType, dataSource: w.dataSource, config: w.config, x: l.x, y: l.y, w: l.w, h: l.h } });
      }),
    );
  };

  // the measured element exists from the first render (the hook observes it on mount)
  if (error || !data || !board) {
    return (
      <section ref={containerRef}>
        {error ? <p role="alert">{error.message}</p> : <p className="muted">{t.loading}</p>}
      </section>
    );
  }
  const cards = widgets.map((w) => {
              const place = layout.find((l: LayoutItem) => l.i === w.id);
              return (
                <div
                  key={w.id}
                  className="widget"
                  data-widget={w.id}
                  data-title={w.title}
                  tabIndex={0}
                  aria-describedby="grid-help"
                  aria-label={`${w.title} (${place?.x ?? w.x}, ${place?.y ?? w.y}, ${place?.w ?? w.w} × ${place?.h ?? w.h})`}
                  onKeyDown={(e) => {
                    if (e.target !== e.currentTarget) return;
                    const next = keyboardLayout(layout, w.id, e.key, e.shiftKey);
                    if (next) {
                      e.preventDefault();
                      void save(next);
                    }
                  }}
                >
                  <header className="widget-handle">
                    <h3>{w.title}</h3>
                    <button
                      type="button"
                      className="link"
                      aria-label={`${t.boards.remove} ${w.title}`}
                      onClick={async () => {
                        await removeWidget({ id: w.id });
                        refetch({ requestPolicy: "network-only" });
                      }}
                    >
                      ×
                    </button>
                  </header>
                  {/* focusable: a keyboard can scroll a long table */}
                  <div className="widget-body" tabIndex={0} role="region" aria-label={w.title}>
                    <WidgetBody widget={w} />
                  </div>
                </div>
              );
            });
  const bottom = layout.reduce((m, l) => Math.max(m, l.y + l.h), 0);
  return (
    <section aria-labelledby="boards-heading" ref={containerRef}>
      <h2 id="boards-heading">{t.boards.heading}</h2>
      {data.dashboards.length > 1 && (
        <label>
          <select value={board.id} onChange={(e) => setBoardId(e.target.value)}>
            {data.dashboards.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <AddForm
        catalog={data.metricCatalog}
        onAdd={async (path, type, title) => {
          const w = type === "KPI" ? 3 : 6;
          await addWidget({ dashboardId: board.id, input: { title: title.slice(0, 100), widgetType: type, dataSource: path, x: 0, y: bottom, w, h: type === "KPI" ? 2 : 5 } });
          refetch({ requestPolicy: "network-only" });
        }}
      />
      <p className="muted" id="grid-help">
        {t.boards.keyboard}
      </p>
      {widgets.length === 0 && <p>{t.boards.empty}</p>}
      <div className="grid-wrap">
        {mounted && width < 600 && <div className="stack">{cards}</div>}
        {mounted && width >= 600 && (
          <ReactGridLayout
            width={width}
            layout={layout}
            gridConfig={{ cols: COLS, rowHeight: 48, margin: [12, 12] }}
            dragConfig={{ enabled: true, handle: ".widget-handle" }}
            resizeConfig={{ enabled: true }}
            compactor={verticalCompactor}
            onDragStop={(next) => void save(next)}
            onResizeStop={(next) => void save(next)}
          >
            {cards}
          </ReactGridLayout>
        )}
      </div>
    </section>
  );
}
