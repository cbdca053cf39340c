/**
 * The session index: what `openSessionFile` learns from one scan of the pickle, and what the
 * index cache stores as JSON. Offsets and sizes are in bytes; times in seconds.
 */

/** Where one numpy array's elements are in the file, and how to interpret them. */
export interface ArrayRef {
  /** Absolute file offset of the first element byte. */
  offset: number;
  /** Element type (numpy name: float64, float32, int8…uint64, bool). */
  dtype: string;
  /** Element byte order ('|' for 1-byte types). */
  byteOrder: '<' | '>' | '|';
  /** numpy shape. */
  shape: number[];
  /** True when elements are stored column-major (only meaningful for ndim ≥ 2). */
  fortranOrder: boolean;
  /** Bytes of element data (product(shape) × itemsize). */
  nbytes: number;
  /**
   * Set for protocol 2 pickles, whose bytes are stored as latin-1 text in UTF-8: the data is
   * then `fileLength` bytes of text at `offset` that decode to `nbytes` bytes.
   */
  encoding?: 'latin1';
  /** Bytes the data occupies in the file (only with `encoding`). */
  fileLength?: number;
}

/** Why a session cannot be read; `readSession` throws it with the matching error class. */
export interface SessionProblem {
  /** `session-data` → SessionDataError (missing key, bad shape); `array-format` → ArrayFormatError (unsupported dtype). */
  kind: 'session-data' | 'array-format';
  /** One-line message naming the session, the key and what was expected. */
  message: string;
}

/** One session of the file, as indexed. */
export interface SessionInfo {
  /** Position in the file's list (0-based). */
  index: number;
  /** `rat_id` as a string ('' when missing; see `problem`). */
  ratId: string;
  /** `session_date` as a string ('' when missing). */
  sessionDate: string;
  /** Rows of `eeg` (1 for a 1-D eeg). */
  nChannels: number;
  /** Samples per channel. */
  nTimes: number;
  /** Sampling rate, Hz: 200 unless the session has an `sfreq` key. */
  sfreq: number;
  /** NM event count per size label ("1", "2", "3"; non-integer sizes as in `sizeLabel`). */
  nEvents: Record<string, number>;
  /** nTimes / sfreq. */
  durationSeconds: number;
  /** `file_path` as a string, or null when absent or not a string. */
  filePath: string | null;
  /** Every readable numeric array of the session, by key. */
  arrays: Record<string, ArrayRef>;
  /** All keys of the session dict, in file order. */
  keys: string[];
  /** Keys holding arrays this reader cannot convert (object, complex, str arrays), with the reason. */
  unsupported: Record<string, string>;
  /** Set when the session cannot be read (the rest of the file still can). */
  problem?: SessionProblem;
}
