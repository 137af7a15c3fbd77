/**
 * Types of the parts of `kalman-filter` (CommonJS, untyped) the tracker uses.
 */
declare module 'kalman-filter' {
  type Matrix = number[][];
  /** A Gaussian: column mean [n×1] and covariance [n×n]. */
  export class State {
    constructor(o: { mean: Matrix; covariance: Matrix; index?: number });
    mean: Matrix;
    covariance: Matrix;
    index?: number;
  }
  export interface KalmanFilterOptions {
    observation: {
      dimension: number;
      stateProjection: Matrix;
      covariance: Matrix | ((o: { predicted: State; index?: number }) => Matrix);
    };
    dynamic: {
      dimension: number;
      transition: Matrix;
      covariance: Matrix | ((o: { previousCorrected: State; index?: number }) => Matrix);
      init?: { mean: Matrix; covariance: Matrix };
    };
  }
  export class KalmanFilter {
    constructor(o: KalmanFilterOptions);
    predict(o: { previousCorrected: State }): State;
    correct(o: { predicted: State; observation: number[] }): State;
  }
  const kf: { KalmanFilter: typeof KalmanFilter; State: typeof State };
  export default kf;
}
