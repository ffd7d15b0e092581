"use client";
// Attachments.tsx - the files of a message (images as thumbnails that open the full image,
// audio and video played inline, other files as a download link with name and size) and the composer's
// part: the "Attach file" button, paste and drop of files, the "Record voice note" button
// (MediaRecorder: record, then stop), and the uploads in progress above the field.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useAppDispatch } from "@/lib/hooks";
import type { Attachment } from "@/lib/types";
import { attachmentBlobUrl, formatSize, uploadAttachment, UploadError, useBlobUrl, voiceNoteName } from "./attachments";
import styles from "./Conversation.module.css";

export function AttachmentList({ attachments }: { attachments: Attachment[] }) {
  return (
    <div className={styles.files}>
      {attachments.map((a) => (
        <AttachmentView key={a.id} a={a} />
      ))}
    </div>
  );
}

function AttachmentView({ a }: { a: Attachment }) {
  if (a.type.startsWith("image/")) return <ImageView a={a} />;
  if (a.type.startsWith("audio/")) return <AudioView a={a} />;
  if (a.type.startsWith("video/")) return <VideoView a={a} />;
  return <FileLink a={a} />;
}

function ImageView({ a }: { a: Attachment }) {
  const thumb = useBlobUrl(a.thumbUrl ?? a.url);
  const [open, setOpen] = useState(false);
  const ratio = a.width && a.height ? a.width / a.height : 4 / 3;
  const w = Math.round(Math.min(240, 180 * ratio));
  return (
    <>
      <button type="button" className={styles.thumb} onClick={() => setOpen(true)} aria-label={`Open image ${a.name}`} style={{ width: w, aspectRatio: String(ratio) }}>
        {/* blob: URLs of authenticated bytes: next/image cannot optimise them (static export) */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        {thumb ? <img src={thumb} alt={a.name} /> : <span className={styles.thumbWait} aria-hidden />}
      </button>
      {open ? <Lightbox a={a} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function Lightbox({ a, onClose }: { a: Attachment; onClose: () => void }) {
  const full = useBlobUrl(a.url);
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className={styles.lightbox} role="dialog" aria-modal="true" aria-label={a.name} onClick={onClose} onKeyDown={(e) => e.key === "Escape" && onClose()}>
      {/* eslint-disable-next-line @next/next/no-img-element */}
      {full ? <img src={full} alt={a.name} onClick={(e) => e.stopPropagation()} /> : <p>Loading…</p>}
      <button ref={close} type="button" onClick={onClose}>Close</button>
    </div>
  );
}

function AudioView({ a }: { a: Attachment }) {
  const src = useBlobUrl(a.url);
  return (
    <div className={styles.audio}>
      <audio controls preload="metadata" src={src} aria-label={`Voice note ${a.name}`} />
      <small>{formatSize(a.size)}</small>
    </div>
  );
}

function VideoView({ a }: { a: Attachment }) {
  const src = useBlobUrl(a.url);
  const ratio = a.width && a.height ? a.width / a.height : 16 / 9;
  return <video className={styles.video} controls preload="metadata" src={src} aria-label={`Video ${a.name}`} style={{ aspectRatio: String(ratio) }} />;
}

function FileLink({ a }: { a: Attachment }) {
  const dispatch = useAppDispatch();
  async function download() {
    const href = await dispatch(attachmentBlobUrl(a.url));
    const link = document.createElement("a");
    link.href = href;
    link.download = a.name;
    link.click();
  }
  return (
    <a
      className={styles.file}
      href={a.url}
      onClick={(e) => {
        e.preventDefault();
        void download();
      }}
    >
      <span aria-hidden>📄</span> {a.name} <small>({formatSize(a.size)})</small>
    </a>
  );
}

/** An upload in the composer: in progress, done (an Attachment) or refused. */
export interface Upload {
  key: string;
  name: string;
  progress: number;
  attachment?: Attachment;
  error?: string;
}

let uploadSeq = 0;

/** The composer's uploads: start(file) uploads at once; `ready` are the finished ones. */
export function useUploads() {
  const dispatch = useAppDispatch();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const update = (key: string, f: (u: Upload) => Upload) => setUploads((l) => l.map((u) => (u.key === key ? f(u) : u)));
  function start(file: Blob, name: string) {
    const key = `up${++uploadSeq}`;
    setUploads((l) => [...l, { key, name, progress: 0 }]);
    dispatch(uploadAttachment(file, name, (p) => update(key, (u) => ({ ...u, progress: p })))).then(
      (attachment) => update(key, (u) => ({ ...u, progress: 1, attachment })),
      (e: unknown) => update(key, (u) => ({ ...u, error: e instanceof UploadError ? e.message : "The file could not be sent." })),
    );
  }
  return {
    uploads,
    start,
    remove: (key: string) => setUploads((l) => l.filter((u) => u.key !== key)),
    clear: () => setUploads([]),
    busy: uploads.some((u) => !u.attachment && !u.error),
    ready: uploads.flatMap((u) => (u.attachment ? [u.attachment] : [])),
  };
}

export function UploadList({ uploads, onRemove }: { uploads: Upload[]; onRemove: (key: string) => void }) {
  if (uploads.length === 0) return null;
  return (
    <ul className={styles.uploads} aria-label="Attachments to send">
      {uploads.map((u) => (
        <li key={u.key}>
          <span className={styles.uploadName}>{u.name}</span>
          {u.error ? (
            <span className={styles.failed} role="alert">{u.error}</span>
          ) : u.attachment ? (
            <small>{formatSize(u.attachment.size)}</small>
          ) : (
            <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
          )}
          <button type="button" className={styles.link} aria-label={`Remove ${u.name}`} onClick={() => onRemove(u.key)}>✕</button>
        </li>
      ))}
    </ul>
  );
}

/** The "Attach file" button and its hidden file input. */
export function AttachButton({ onFiles }: { onFiles: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" className={styles.emojiButton} aria-label="Attach file" title="Attach file" onClick={() => input.current?.click()}>
        📎
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        onChange={(e) => {
          onFiles(Array.from(e.target.files ?? []));
          e.target.value = "";
        }}
      />
    </>
  );
}

/** "Record voice note": records with MediaRecorder until "Stop recording", then hands the blob. */
export function VoiceButton({ onRecorded, onError }: { onRecorded: (blob: Blob, name: string) => void; onError: (msg: string) => void }) {
  const rec = useRef<MediaRecorder | null>(null);
  const [recording, setRecording] = useState(false);
  const [secs, setSecs] = useState(0);
  useEffect(() => {
    if (!recording) return;
    const t = setInterval(() => setSecs((s) => s + 1), 1000);
    return () => clearInterval(t);
  }, [recording]);
  useEffect(() => () => rec.current?.stream.getTracks().forEach((t) => t.stop()), []);
  async function start() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].find((t) => MediaRecorder.isTypeSupported(t));
      const r = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks: Blob[] = [];
      r.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
      r.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        const blob = new Blob(chunks, { type: r.mimeType || "audio/webm" });
        if (blob.size > 0) onRecorded(blob, voiceNoteName(blob.type));
      };
      r.start();
      rec.current = r;
      setSecs(0);
      setRecording(true);
    } catch {
      onError("The microphone cannot be used. Allow it in the browser and try again.");
    }
  }
  function stop() {
    rec.current?.stop();
    rec.current = null;
    setRecording(false);
  }
  return recording ? (
    <button type="button" className={`${styles.emojiButton} ${styles.recording}`} aria-label="Stop recording" title="Stop recording" onClick={stop}>
      ■ <span className={styles.recTime}>{secs}s</span>
    </button>
  ) : (
    <button type="button" className={styles.emojiButton} aria-label="Record voice note" title="Record voice note" onClick={() => void start()}>
      🎤
    </button>
  );
}

/** Files dropped on or pasted into `children` go to `onFiles`. */
export function DropZone({ onFiles, children, className }: { onFiles: (files: File[]) => void; children: ReactNode; className?: string }) {
  const [over, setOver] = useState(false);
  return (
    <div
      className={className}
      data-drop={over || undefined}
      onDragOver={(e) => {
        if (Array.from(e.dataTransfer.types).includes("Files")) {
          e.preventDefault();
          setOver(true);
        }
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        if (e.dataTransfer.files.length) {
          e.preventDefault();
          onFiles(Array.from(e.dataTransfer.files));
        }
      }}
      onPaste={(e) => {
        const files = Array.from(e.clipboardData.files);
        if (files.length) {
          e.preventDefault();
          onFiles(files);
        }
      }}
    >
      {children}
    </div>
  );
}
