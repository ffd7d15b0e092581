"use client";
// ThemeToggle.tsx - light/dark: swaps the token set on <html data-theme>, remembered in localStorage
// (the layout's inline script applies it, or prefers-color-scheme, before the first paint).
import { useState } from "react";
import { save } from "@/lib/storage";

export default function ThemeToggle({ className }: { className?: string }) {
  const [theme, setTheme] = useState(() =>
    typeof document !== "undefined" && document.documentElement.dataset.theme === "dark" ? "dark" : "light",
  );
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      className={className}
      onClick={() => {
        document.documentElement.dataset.theme = next;
        save("sioc.theme", next);
        setTheme(next);
      }}
    >
      {next === "dark" ? "Dark theme" : "Light theme"}
    </button>
  );
}
