// Recharts charts: hover (tooltip), zoom (brush), selection (click) and a text alternative
// (the table of their numbers, next to each chart).

import { useState } from "react";
import {
  Bar,
  BarChart,
  Brush,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  Pie,
  PieChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { usePage } from "../context";
import { byUnit, compact, date, integer, month } from "../format";

export const COLORS = ["#0b5394", "#b45309", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#4d7c0f", "#9d174d"];

export interface SeriesPoint {
  bucketStart: string;
  [measure: string]: string | number;
}

export interface Measure {
  key: string;
  label: string;
  unit: string;
}

/** A line chart over calendar buckets, zoomable with a brush; clicking a point selects it. */
export function TrendChart({ points, measures, monthly }: { points: SeriesPoint[]; measures: Measure[]; monthly?: boolean }) {
  const { lang, zone } = usePage();
  const [selected, setSelected] = useState<string | null>(null);
  const label = (iso: string) => (monthly ? month(iso, zone, lang) : date(iso, zone, lang));
  const data = points.map((p) => {
    const row: Record<string, string | number> = { bucketStart: p.bucketStart };
    for (const m of measures) row[m.key] = Number(p[m.key]);
    return row;
  });
  const units = [...new Set(measures.map((m) => m.unit))];
  const chosen = selected ? points.find((p) => p.bucketStart === selected) : null;
  return (
    <>
      <ResponsiveContainer width="100%" height={280}>
        <LineChart
          data={data}
          margin={{ top: 8, right: 12, bottom: 0, left: 0 }}
          onClick={(e) => {
            const i = Number(e?.activeTooltipIndex ?? NaN);
            if (Number.isInteger(i) && data[i]) setSelected(String(data[i].bucketStart));
          }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#d0d7de" />
          <XAxis dataKey="bucketStart" tickFormatter={label} minTickGap={24} tick={{ fill: "#1f2328", fontSize: 12 }} />
          {units.map((unit, i) => (
            <YAxis key={unit} yAxisId={unit} orientation={i === 0 ? "left" : "right"} tick={{ fill: "#1f2328", fontSize: 12 }} width={64} tickFormatter={(v: number) => (unit === "money" ? compact(v, lang) : integer(v, lang))} />
          ))}
          <Tooltip labelFormatter={(v) => label(String(v))} formatter={(v, name) => {
            const m = measures.find((x) => x.label === name);
            return [byUnit(m?.unit === "money" ? String(v) : Number(v), m?.unit ?? "count", lang), name];
          }} />
          <Legend />
          {measures.map((m, i) => (
            <Line key={m.key} yAxisId={m.unit} type="linear" dataKey={m.key} name={m.label} stroke={COLORS[i]} dot={false} strokeWidth={2} isAnimationActive={false} />
          ))}
          {selected && <ReferenceLine x={selected} yAxisId={measures[0].unit} stroke="#1f2328" strokeDasharray="4 2" />}
          {data.length > 14 && <Brush dataKey="bucketStart" height={24} tickFormatter={label} travellerWidth={10} stroke="#0b5394" />}
        </LineChart>
      </ResponsiveContainer>
      {chosen && (
        <p className="selection" aria-live="polite" data-selection>
          <strong>{label(chosen.bucketStart)}</strong>
          {measures.map((m) => (
            <span key={m.key}>
              {" · "}
              {m.label} : {byUnit(m.unit === "money" ? String(chosen[m.key]) : Number(chosen[m.key]), m.unit, lang)}
            </span>
          ))}
        </p>
      )}
    </>
  );
}

export interface Bucket {
  key: string;
  value: number;
}

/** Bars by key; clicking one selects it (`onSelect`, e.g. slicing the page by a city). */
export function BarsChart({ rows, label, selected, onSelect, unit = "count" }: { rows: Bucket[]; label: string; selected?: string | null; onSelect?: (key: string) => void; unit?: string }) {
  const { lang } = usePage();
  return (
    <ResponsiveContainer width="100%" height={Math.max(160, rows.length * 28 + 40)}>
      <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#d0d7de" horizontal={false} />
        <XAxis type="number" tickFormatter={(v: number) => integer(v, lang)} tick={{ fill: "#1f2328", fontSize: 12 }} />
        <YAxis type="category" dataKey="key" width={110} tick={{ fill: "#1f2328", fontSize: 12 }} />
        <Tooltip formatter={(v) => [byUnit(Number(v), unit, lang), label]} />
        <Bar dataKey="value" name={label} cursor={onSelect ? "pointer" : undefined} onClick={(d) => onSelect?.(String((d as unknown as Bucket).key))} isAnimationActive={false}>
          {rows.map((r) => (
            <Cell key={r.key} fill={selected && r.key !== selected ? "#9fb8d3" : "#0b5394"} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}

/** Shares of a whole. */
export function PieShares({ rows, label, unit = "count" }: { rows: Bucket[]; label: string; unit?: string }) {
  const { lang } = usePage();
  return (
    <ResponsiveContainer width="100%" height={260}>
      <PieChart>
        <Pie data={rows} dataKey="value" nameKey="key" outerRadius="75%" isAnimationActive={false} label={false}>
          {rows.map((r, i) => (
            <Cell key={r.key} fill={COLORS[i % COLORS.length]} />
          ))}
        </Pie>
        <Tooltip formatter={(v, name) => [byUnit(unit === "money" ? String(v) : Number(v), unit, lang), `${name} (${label})`]} />
        <Legend />
      </PieChart>
    </ResponsiveContainer>
  );
}
