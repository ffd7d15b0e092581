// attachments.ts - files in the chat: uploads to POST /v1/api/attachments (raw body, the name in
// ?name=, XMLHttpRequest for the progress the fetch API does not report) and reading them back.
// The file URLs need the bearer token, which an <img> or <audio> cannot send, so the bytes are
// fetched once per URL into a blob: URL (cached for the page's life; a 401 refreshes the session
// once, as the REST queries do).
import type { ThunkAction, UnknownAction } from "@reduxjs/toolkit";
import { useEffect, useState } from "react";
import { refreshSession } from "@/lib/api";
import { useAppDispatch } from "@/lib/hooks";
import type { AuthState } from "@/features/auth/authSlice";
import type { Attachment } from "@/lib/types";

type Thunk<R> = ThunkAction<R, { auth: AuthState }, unknown, UnknownAction>;

export const ATTACHMENTS_URL = "/v1/api/attachments";

/** What the server refused, in words (413 / 415 / others). */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function send(file: Blob, name: string, token: string | null, onProgress: (f: number) => void): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${ATTACHMENTS_URL}?name=${encodeURIComponent(name)}`);
    if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.setRequestHeader("content-type", file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new UploadError("Cannot reach the server. Check your connection and try again.", 0));
    xhr.send(file);
  });
}

function refusal(status: number, body: unknown): string {
  const msg = (body as { error?: { message?: string } } | undefined)?.error?.message;
  if (status === 413) return msg ? `Too large: ${msg}.` : "The file is too large.";
  if (status === 415) return "This kind of file cannot be sent.";
  return msg ? `${msg.charAt(0).toUpperCase()}${msg.slice(1)}.` : "The file could not be sent. Try again.";
}

/** Uploads `file`; resolves the stored Attachment, rejects with an UploadError. */
export function uploadAttachment(file: Blob, name: string, onProgress: (fraction: number) => void): Thunk<Promise<Attachment>> {
  return async (dispatch, getState) => {
    let r = await send(file, name, getState().auth.accessToken, onProgress);
    if (r.status === 401 && (await refreshSession({ dispatch, getState }))) r = await send(file, name, getState().auth.accessToken, onProgress);
    if (r.status !== 201) throw new UploadError(refusal(r.status, r.body), r.status);
    return r.body as Attachment;
  };
}

const blobs = new Map<string, Promise<string>>();

/** A blob: URL holding the bytes of an attachment URL (fetched once). */
export function attachmentBlobUrl(url: string): Thunk<Promise<string>> {
  return (dispatch, getState) => {
    let p = blobs.get(url);
    if (!p) {
      p = (async () => {
        const get = () => fetch(url, { headers: { authorization: `Bearer ${getState().auth.accessToken ?? ""}` } });
        let res = await get();
        if (res.status === 401 && (await refreshSession({ dispatch, getState }))) res = await get();
        if (!res.ok) throw new Error(`attachment ${url}: ${res.status}`);
        return URL.createObjectURL(await res.blob());
      })();
      p.catch(() => blobs.delete(url)); // a later render may try again
      blobs.set(url, p);
    }
    return p;
  };
}

/** The blob: URL of `url` once fetched (undefined meanwhile, or when `url` is undefined). */
export function useBlobUrl(url: string | undefined): string | undefined {
  const dispatch = useAppDispatch();
  const [got, setGot] = useState<{ url: string; src: string }>();
  useEffect(() => {
    let live = true;
    if (url) void dispatch(attachmentBlobUrl(url)).then((src) => live && setGot({ url, src }), () => undefined);
    return () => {
      live = false;
    };
  }, [url, dispatch]);
  return got && got.url === url ? got.src : undefined;
}

/** "12 KB", "3.4 MB". */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The file name of a recorded voice note, with the extension of the recorder's type. */
export function voiceNoteName(type: string, now = new Date()): string {
  const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
  const t = now.toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return `voice-note-${t}.${ext}`;
}
