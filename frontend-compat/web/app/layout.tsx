// layout.tsx - the document: theme tokens chosen before first paint (saved choice, else the
// system's prefers-color-scheme), then the store provider.
import type { ReactNode } from "react";
import Providers from "./providers";
import "./globals.css";

export const metadata = { title: "sioc chat" };

const themeScript = `try{var t=localStorage.getItem("sioc.theme");t=t?JSON.parse(t):(matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light");document.documentElement.dataset.theme=t}catch(e){}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
