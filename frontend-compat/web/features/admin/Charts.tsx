"use client";
// Charts.tsx - the dashboard's charts (recharts, in this chunk only: /admin loads it with
// next/dynamic, so /chat and /desk never download it): finished and open services per
// attendant, and the 1-5 rating counts. Colours come from the theme tokens.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { DeskStats } from "@/lib/types";
import styles from "./Admin.module.css";

const tick = { fill: "var(--fg-muted)", fontSize: 12 };
const tip = { contentStyle: { background: "var(--bg)", border: "1px solid var(--border)", color: "var(--fg)" } };

export default function Charts({ stats }: { stats: DeskStats }) {
  const per = [
    ...stats.attendants.map((a) => ({ name: a.displayName || a.username, finished: a.finished, open: a.open })),
    ...(stats.unassigned.finished || stats.unassigned.open ? [{ name: "Unassigned", finished: stats.unassigned.finished, open: stats.unassigned.open }] : []),
  ];
  const ratings = (["1", "2", "3", "4", "5"] as const).map((k) => ({ stars: `${k} ★`, count: stats.totals.rating.counts[k] }));
  return (
    <div className={styles.charts}>
      <figure className={styles.chart} aria-label="Services per attendant chart">
        <figcaption>Services per attendant</figcaption>
        {per.length === 0 ? (
          <p className={styles.muted}>No service in this period.</p>
        ) : (
          <ResponsiveContainer width="100%" height={220}>
            <BarChart data={per} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
              <CartesianGrid stroke="var(--border)" vertical={false} />
              <XAxis dataKey="name" tick={tick} stroke="var(--border)" />
              <YAxis allowDecimals={false} tick={tick} stroke="var(--border)" />
              <Tooltip {...tip} cursor={{ fill: "var(--bg-hover)" }} />
              <Legend />
              <Bar dataKey="finished" name="Finished" fill="var(--accent)" radius={[4, 4, 0, 0]} isAnimationActive={false} />
              <Bar dataKey="open" name="Open" fill="var(--away)" radius={[4, 4, 0, 0]} isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </figure>
      <figure className={styles.chart} aria-label="Ratings chart">
        <figcaption>Ratings ({stats.totals.rating.count})</figcaption>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={ratings} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid stroke="var(--border)" vertical={false} />
            <XAxis dataKey="stars" tick={tick} stroke="var(--border)" />
            <YAxis allowDecimals={false} tick={tick} stroke="var(--border)" />
            <Tooltip {...tip} cursor={{ fill: "var(--bg-hover)" }} />
            <Bar dataKey="count" name="Ratings" fill="var(--online)" radius={[4, 4, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
