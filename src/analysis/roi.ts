/**
 * Regions of interest (docs/method.md §2.2): ROI names → electrode numbers (1–32) → 0-based channel
 * indices of a given rat, in channel order, via the per-rat electrode table.
 */
import { readFileSync } from 'node:fs';
import { RoiError } from '../errors.js';
import { packagePath } from '../paths.js';

/** ROI name → electrode numbers (1–32). */
export type RoiMap = Readonly<Record<string, readonly number[]>>;

/** Rat id → electrode number recorded on each channel index (`ch_0` … `ch_31`). */
export type ElectrodeTable = ReadonlyMap<string, readonly number[]>;

/** An ROI: by name, by electrode numbers (1–32), or directly by 0-based channel indices. */
export type RoiSpec =
  | { readonly name: string }
  | { readonly electrodes: readonly number[] }
  | { readonly channels: readonly number[] };

/** An ROI resolved for one rat/session. */
export interface ResolvedRoi {
  /** The spec as given. */
  readonly spec: RoiSpec;
  /** Human-readable label: the ROI name, `electrodes 2,29` or `channels 0-3`. */
  readonly label: string;
  /** 0-based channel indices, in the order the ROI mean uses. */
  readonly channels: readonly number[];
  /** Electrode number of each channel, when the rat is in the electrode table. */
  readonly electrodes: readonly number[] | null;
}

export const MIN_ELECTRODE = 1;
export const MAX_ELECTRODE = 32;

/** Parses a JSON ROI map, validating electrode numbers. */
export function parseRoiMap(json: string, source = 'ROI map'): RoiMap {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new RoiError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RoiError(`${source} must be a JSON object of ROI name → electrode list`);
  }
  const map: Record<string, number[]> = {};
  for (const [name, electrodes] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(electrodes)) throw new RoiError(`${source}: ROI '${name}' must be a list of electrodes`);
    map[name] = electrodes.map((e) => checkElectrode(e, `${source}: ROI '${name}'`));
  }
  return map;
}

/** Parses the per-rat electrode table CSV (`rat_id,ch_0,…,ch_31`). */
export function parseElectrodeTable(csv: string, source = 'electrode table'): ElectrodeTable {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(',').map((s) => s.trim());
  if (header === undefined || header[0] !== 'rat_id' || header.slice(1).some((h, i) => h !== `ch_${i}`)) {
    throw new RoiError(`${source}: expected header 'rat_id,ch_0,ch_1,…', got '${lines[0] ?? ''}'`);
  }
  const table = new Map<string, number[]>();
  for (let li = 1; li < lines.length; li++) {
    const cells = lines[li]!.split(',').map((s) => s.trim());
    if (cells.length !== header.length) {
      throw new RoiError(`${source} line ${li + 1}: ${cells.length} cells, expected ${header.length}`);
    }
    const rat = cells[0]!;
    table.set(
      rat,
      cells.slice(1).map((c) => checkElectrode(Number(c), `${source} rat ${rat}`)),
    );
  }
  return table;
}

function checkElectrode(e: unknown, where: string): number {
  if (typeof e !== 'number' || !Number.isInteger(e) || e < MIN_ELECTRODE || e > MAX_ELECTRODE) {
    throw new RoiError(`${where}: electrode ${String(e)} is outside ${MIN_ELECTRODE}–${MAX_ELECTRODE}`);
  }
  return e;
}

let defaultRoiMap: RoiMap | undefined;
let defaultElectrodeTable: ElectrodeTable | undefined;

/** The lab's ROI map shipped in `data/roi_map.json`. */
export function loadDefaultRoiMap(): RoiMap {
  const path = packagePath('data', 'roi_map.json');
  defaultRoiMap ??= parseRoiMap(readFileSync(path, 'utf8'), path);
  return defaultRoiMap;
}

/** The lab's per-rat electrode table shipped in `data/electrode_mappings.csv`. */
export function loadDefaultElectrodeTable(): ElectrodeTable {
  const path = packagePath('data', 'electrode_mappings.csv');
  defaultElectrodeTable ??= parseElectrodeTable(readFileSync(path, 'utf8'), path);
  return defaultElectrodeTable;
}

/** Where ROI names and electrode numbers are looked up. Defaults: the lab's files in `data/`. */
export interface RoiTables {
  roiMap?: RoiMap;
  electrodeTable?: ElectrodeTable;
}

function describe(spec: RoiSpec): string {
  if ('name' in spec) return spec.name;
  if ('electrodes' in spec) return `electrodes ${spec.electrodes.join(',')}`;
  return `channels ${spec.channels.join(',')}`;
}

/**
 * Resolves an ROI for one rat to 0-based channel indices (docs/method.md §2.2). Electrode ROIs become
 * `[i for i, e in enumerate(ratRow) if e in electrodes]` (channel order); channel ROIs are kept
 * in the given order. Channel indices are checked against the recording later, per session.
 *
 * @throws RoiError unknown ROI name (lists the known ones), empty ROI, electrode outside 1–32,
 *   rat missing from the electrode table, or an ROI matching no channel of the rat.
 */
export function resolveRoi(spec: RoiSpec, ratId: string, tables: RoiTables = {}): ResolvedRoi {
  const label = describe(spec);
  const table = tables.electrodeTable ?? loadDefaultElectrodeTable();
  const ratRow = table.get(ratId) ?? null;
  if ('channels' in spec) {
    if (spec.channels.length === 0) throw new RoiError('ROI is empty: give at least one channel index');
    for (const c of spec.channels) {
      if (!Number.isInteger(c) || c < 0) {
        throw new RoiError(`channel index ${c} is invalid; expected an integer >= 0`);
      }
    }
    if (new Set(spec.channels).size !== spec.channels.length) {
      throw new RoiError(`ROI channels ${spec.channels.join(',')} contain duplicates`);
    }
    const electrodes = ratRow === null ? null : spec.channels.map((c) => ratRow[c] ?? NaN);
    return {
      spec,
      label,
      channels: [...spec.channels],
      electrodes: electrodes?.some(Number.isNaN) ? null : electrodes,
    };
  }
  let electrodes: readonly number[];
  if ('name' in spec) {
    const roiMap = tables.roiMap ?? loadDefaultRoiMap();
    const found = Object.hasOwn(roiMap, spec.name) ? roiMap[spec.name] : undefined;
    if (found === undefined) {
      throw new RoiError(`unknown ROI '${spec.name}'; known ROIs: ${Object.keys(roiMap).join(', ')}`);
    }
    electrodes = found;
  } else {
    electrodes = spec.electrodes;
  }
  if (electrodes.length === 0) throw new RoiError(`ROI '${label}' is empty: give at least one electrode`);
  for (const e of electrodes) checkElectrode(e, `ROI '${label}'`);
  if (ratRow === null) {
    throw new RoiError(
      `rat '${ratId}' is not in the electrode table, so electrode ROI '${label}' cannot be mapped to channels; ` +
        `known rats: ${[...table.keys()].join(', ')} (or give --channels)`,
    );
  }
  const wanted = new Set(electrodes);
  const channels: number[] = [];
  ratRow.forEach((e, i) => {
    if (wanted.has(e)) channels.push(i);
  });
  if (channels.length === 0) {
    throw new RoiError(`ROI '${label}' matches no channel of rat ${ratId}`);
  }
  return { spec, label, channels, electrodes: channels.map((c) => ratRow[c]!) };
}

/**
 * Checks ROI specs before any rat is resolved: every name is in the ROI map and every electrode
 * number is 1–32 (a misspelled ROI in a list is the run's error, not a per-session skip).
 *
 * @throws RoiError naming the unknown ROI or the bad electrode
 */
export function checkRoiSpecs(specs: readonly RoiSpec[], tables: RoiTables = {}): void {
  const roiMap = tables.roiMap ?? loadDefaultRoiMap();
  for (const spec of specs) {
    if ('name' in spec && !Object.hasOwn(roiMap, spec.name)) {
      throw new RoiError(`--roi: unknown ROI '${spec.name}'; known ROIs: ${Object.keys(roiMap).join(', ')}, or electrode numbers, or all`);
    }
    if ('electrodes' in spec) {
      const bad = spec.electrodes.find((e) => !Number.isInteger(e) || e < MIN_ELECTRODE || e > MAX_ELECTRODE);
      if (bad !== undefined) throw new RoiError(`--roi: electrode ${bad} is outside ${MIN_ELECTRODE}–${MAX_ELECTRODE}`);
    }
  }
}

/**
 * A short, file-safe name of an ROI, used for its directory (`roi_<key>`) and in CSV files: the
 * ROI name, `e2` or `e2+29` for electrodes, `ch0+1` for channels.
 */
export function roiKey(spec: RoiSpec): string {
  if ('name' in spec) return spec.name;
  if ('electrodes' in spec) return spec.electrodes.map((e) => `e${e}`).join('+');
  return spec.channels.map((c) => `ch${c}`).join('+');
}

/** The ROI names of the map, in its order (the ROIs of `--roi all`, besides every electrode). */
export function roiNames(tables: RoiTables = {}): string[] {
  return Object.keys(tables.roiMap ?? loadDefaultRoiMap());
}
