/**
 * Sensor presets shipped with the SDK. Each is a plain {@link SensorConfig}; callers can copy one and
 * change fields (e.g. add the scene's reflectance scaling from `landsatScalingFromMtl`).
 */
import type { SensorConfig } from './sensor-config.js';

/** Built-in sensor presets, by id. */
export const SENSOR_PRESETS: Readonly<Record<string, SensorConfig>> = Object.freeze({
  'landsat5-tm': {
    id: 'landsat5-tm',
    description: 'Landsat-5 TM layer stack of bands 1-7 (band 6 thermal); feeds B, G, R, NIR = TM bands 1, 2, 3, 4',
    modality: 'multispectral',
    bands: [1, 2, 3, 4],
    bandNames: ['blue', 'green', 'red', 'nir'],
    expectedBands: 7,
    noDataLimit: 0.15,
  },
  'landsat7-etm': {
    id: 'landsat7-etm',
    description: 'Landsat-7 ETM+ reflective stack of bands 1-5 and 7 (6 bands); feeds B, G, R, NIR = ETM+ bands 1, 2, 3, 4',
    modality: 'multispectral',
    bands: [1, 2, 3, 4],
    bandNames: ['blue', 'green', 'red', 'nir'],
    expectedBands: 6,
    noDataLimit: 0.15,
  },
  'rgb-camera': {
    id: 'rgb-camera',
    description: 'Generic 8-bit RGB camera (JPEG/PNG/WebP or raw), bands R, G, B',
    modality: 'optical',
    bands: [1, 2, 3],
    bandNames: ['red', 'green', 'blue'],
    noDataLimit: 0.15,
  },
  'sar-l2-amplitude': {
    id: 'sar-l2-amplitude',
    description: 'Generic detected SAR product (GRD/MGD), one amplitude band; 0 marks no data',
    modality: 'sar-l2',
    bands: [1],
    bandNames: ['amplitude'],
    noData: 0,
    noDataLimit: 0.15,
    sarL2Quantity: 'amplitude',
  },
  'quadpol-slc': {
    id: 'quadpol-slc',
    description: 'Quad-pol single-look complex product, complex bands HH, HV, VH, VV (calibrated, linear); 0+0j marks no data',
    modality: 'sar-l1',
    bands: [1, 2, 3, 4],
    bandNames: ['HH', 'HV', 'VH', 'VV'],
    noData: 0,
    noDataLimit: 0.15,
  },
});
