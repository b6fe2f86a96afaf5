/** Getting source files onto local disk: resumable downloads and safe archive extraction. */
import type { Reporter } from './reporter.js';

/**
 * Receives a download's bytes as they reach the disk, so they can be processed while the rest arrives
 * (the ingest audits and chunks them as they arrive). Bytes come in file order from byte 0, including
 * those kept from an earlier run; a failing write stops the download with that error.
 */
export interface DownloadSink {
  write(chunk: Buffer): Promise<void>;
  /** The download starts over from byte 0 (the remote file changed): forget every byte written. */
  reset(): Promise<void>;
}

export interface DownloadRequest {
  url: string;
  /** Final path; partial bytes live next to it until the download is complete and verified. */
  dest: string;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  maxAttempts?: number | undefined;
  stallTimeoutMs?: number | undefined;
  sink?: DownloadSink | undefined;
}

export interface DownloadedFile {
  path: string;
  bytes: number;
  sha256: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
  resumedFromBytes: number;
  attempts: number;
}

export type Downloader = (req: DownloadRequest) => Promise<DownloadedFile>;

export interface ArchiveEntry {
  name: string;
  uncompressedSize: number;
  isDirectory: boolean;
}

export interface ArchiveReader {
  /** Every entry, validated (no traversal, links or bombs) before anything is extracted. */
  list(path: string): Promise<ArchiveEntry[]>;
  /** Streams one entry to `dest` (atomic), verifying its CRC and size. */
  extract(
    path: string,
    entryName: string,
    dest: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: number; sha256: string }>;
}
