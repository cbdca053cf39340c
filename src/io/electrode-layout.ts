/**
 * Electrode layouts for electrode maps (docs/method.md §2.2, §8.2): a CSV `site,x_mm,y_mm` giving
 * each site's position in millimetres (x medio-lateral, right positive; y antero-posterior,
 * anterior positive). Positions are a drawing aid only: data/h32_layout.md says why.
 */
import { InvalidParameterError } from '../errors.js';
import { packagePath } from '../paths.js';
import { readInputFile } from './files.js';

/** The columns a layout file has, in this order. */
export const LAYOUT_COLUMNS = ['site', 'x_mm', 'y_mm'] as const;
/** Site numbers are 1 … MAX_SITE (the 32-site array). */
export const MAX_SITE = 32;

/** A site's position, mm. */
export interface SitePosition {
  x: number;
  y: number;
}

/** An electrode layout as read from its file. */
export interface ElectrodeLayout {
  /** The file it was read from (named in every figure drawn from it). */
  path: string;
  /** Site number (1–32) → position, in file order. */
  sites: Map<number, SitePosition>;
}

/** The shipped default: the vendor's H32 layout, `data/h32_layout.csv` (see data/h32_layout.md). */
export function defaultLayoutPath(): string {
  return packagePath('data', 'h32_layout.csv');
}

/** A value as quoted in a message: at most 40 characters. */
const quote = (text: string): string => `'${text.length > 40 ? `${text.slice(0, 37)}...` : text}'`;

/**
 * Parses layout CSV text: the header `site,x_mm,y_mm`, then one row per site (integer 1–32, finite
 * coordinates, each site once). Blank lines are ignored; CRLF line ends and a UTF-8 BOM are
 * accepted.
 *
 * @param path named in the messages
 * @throws InvalidParameterError naming the file, the line and the value of the first problem
 */
export function parseElectrodeLayout(text: string, path: string): ElectrodeLayout {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fail = (line: number, what: string): never => {
    throw new InvalidParameterError(`electrode layout ${path}: line ${line}: ${what}`);
  };
  const header = lines[0]?.split(',').map((c) => c.trim()) ?? [];
  if (header.join(',') !== LAYOUT_COLUMNS.join(',')) fail(1, `header ${quote(lines[0] ?? '')} is not '${LAYOUT_COLUMNS.join(',')}'`);
  const sites = new Map<number, SitePosition>();
  const lineOf = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== LAYOUT_COLUMNS.length) fail(line, `${quote(raw)} has ${cells.length} fields, expected ${LAYOUT_COLUMNS.length} (${LAYOUT_COLUMNS.join(',')})`);
    const [siteText, xText, yText] = cells as [string, string, string];
    const site = Number(siteText);
    if (!/^\d+$/.test(siteText) || site < 1 || site > MAX_SITE) fail(line, `site ${quote(siteText)} is not an integer from 1 to ${MAX_SITE}`);
    const earlier = lineOf.get(site);
    if (earlier !== undefined) fail(line, `site ${quote(siteText)} is already given on line ${earlier}`);
    const coordinate = (name: string, t: string): number => {
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) fail(line, `${name} ${quote(t)} of site ${site} is not a finite number`);
      return v;
    };
    sites.set(site, { x: coordinate('x_mm', xText), y: coordinate('y_mm', yText) });
    lineOf.set(site, line);
  }
  if (sites.size === 0) fail(lines.length, 'no site rows after the header');
  return { path, sites };
}

/**
 * Reads an electrode layout file ({@link parseElectrodeLayout}).
 *
 * @throws InputFileError when the file cannot be read; InvalidParameterError for its content
 */
export function readElectrodeLayout(path: string): ElectrodeLayout {
  return parseElectrodeLayout(readInputFile(path).toString('utf8'), path);
}
