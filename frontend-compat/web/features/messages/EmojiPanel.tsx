"use client";
// EmojiPanel.tsx - the composer's emoji picker (emoji-picker-react), in its own chunk: the
// conversation loads it with next/dynamic the first time the `Emoji` button is pressed. Native
// emoji glyphs (no images fetched from a CDN), the app's theme.
import EmojiPicker, { EmojiStyle, Theme } from "emoji-picker-react";

export default function EmojiPanel({ onPick }: { onPick: (emoji: string) => void }) {
  const dark = typeof document !== "undefined" && document.documentElement.dataset.theme === "dark";
  return (
    <EmojiPicker
      onEmojiClick={(e) => onPick(e.emoji)}
      emojiStyle={EmojiStyle.NATIVE}
      theme={dark ? Theme.DARK : Theme.LIGHT}
      lazyLoadEmojis
      skinTonesDisabled
      previewConfig={{ showPreview: false }}
      width={320}
      height={380}
    />
  );
}
