/**
 * The fonts every figure is drawn with. Why ship them: a PNG must look the same on a fresh
 * machine without network or system fonts, so the rasteriser gets DejaVu Sans (matplotlib's
 * default face, from the `dejavu-fonts-ttf` npm package: the upstream DejaVu 2.37 TrueType files)
 * and is told not to look at system fonts at all.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The family written into the SVG text; the fallbacks only matter in a browser. */
export const FONT_FAMILY = 'DejaVu Sans';
/** CSS font stack used for every Vega text mark (resvg takes the first family it has). */
export const FONT_STACK = `${FONT_FAMILY}, Verdana, Arial, sans-serif`;

let files: string[] | undefined;

/** Absolute paths of the shipped TrueType files (regular, bold, oblique, bold oblique). */
export function fontFiles(): string[] {
  files ??= ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'].map((f) =>
    require.resolve(`dejavu-fonts-ttf/ttf/${f}`),
  );
  return files;
}
