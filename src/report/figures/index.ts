/**
 * Figures: analysis figures (spectrograms, frequency profiles, rat / cross-rat summaries) as PNG
 * and SVG, rendered from Vega-Lite specs with vega (SVG) and resvg (PNG) using shipped fonts.
 */
export {
  spectrogramFigure,
  frequencyProfileFigure,
  summaryFigure,
  symmetricRange,
  eventIndex,
  bandMean,
  SPECTROGRAM_PANEL,
  PROFILE_PLOT,
  EVENT_PANEL,
  type SpectrogramPanel,
} from './spectrogram.js';
export { writeSessionFigures, writeRatFigures, writeCrossRatFigures, roiLine, FIGURE_FILES } from './write.js';
export {
  renderFigure,
  plotPixel,
  toVega,
  baseConfig,
  MIN_PNG_WIDTH,
  PNG_ZOOM,
  type FigureSet,
  type FigureSpec,
  type PlotArea,
  type AxisGeometry,
} from './render.js';
export { FONT_FAMILY, FONT_STACK, fontFiles } from './fonts.js';
export { benchCharts, seriesName, problemPoints, type BenchChart } from './bench.js';
