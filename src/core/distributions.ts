/**
 * Delay distributions for injected latency and service times: fixed, uniform, normal
 * (truncated at 0), lognormal (given its p50 and p99, as latency is usually quoted),
 * Pareto (a heavy tail, optionally capped) and exponential. Toxiproxy has only a uniform
 * jitter; real latency is skewed, and its tail is what breaks timeouts.
 *
 * Every function is pure and unit-agnostic (faultline passes milliseconds). A distribution
 * is plain data, so it crosses to the fixture worker as JSON. Samplers use inverse-transform
 * sampling — one uniform draw per sample, `quantile(d, rng.next())` — so a seed fixes every
 * delay; `cdf` is computed independently (from the error function, not from `quantile`) so a
 * goodness-of-fit test of the samples against it checks both.
 *
 * @example
 *   const d: Distribution = { distribution: 'lognormal', p50: 20, p99: 120 };
 *   sample(d, rng);      // e.g. 17.3
 *   quantile(d, 0.99);   // 120
 */
import { errorFunction } from 'simple-statistics';
import type { Rng } from './rng.ts';

export type Distribution =
  | { distribution: 'fixed'; value: number }
  /** Uniform on [min, max]. */
  | { distribution: 'uniform'; min: number; max: number }
  /** Normal(mean, stddev) truncated at 0: conditioned on X ≥ 0, not clamped, so no point mass at 0. */
  | { distribution: 'normal'; mean: number; stddev: number }
  /** Lognormal with median p50 and 99th percentile p99 (p99 > p50 > 0). */
  | { distribution: 'lognormal'; p50: number; p99: number }
  /** Pareto type I: scale x_m > 0, shape α > 0; values above `cap` are `cap`. */
  | { distribution: 'pareto'; scale: number; shape: number; cap?: number }
  /** Exponential with the given mean: the service time of an M/M/c queue. */
  | { distribution: 'exponential'; mean: number };

export type DistributionName = Distribution['distribution'];

/** z₀.₉₉: the standard normal's 99th percentile, Φ⁻¹(0.99). */
export const Z99 = 2.3263478740408408;

/** μ and σ of the underlying normal of a lognormal with median `p50` and 99th percentile `p99`. */
export function lognormalParams(p50: number, p99: number): { mu: number; sigma: number } {
  return { mu: Math.log(p50), sigma: (Math.log(p99) - Math.log(p50)) / Z99 };
}

/** One draw. Never negative. */
export function sample(d: Distribution, rng: Rng): number {
  return quantile(d, rng.next());
}

/** The p-quantile (inverse CDF), p in [0, 1). */
export function quantile(d: Distribution, p: number): number {
  switch (d.distribution) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return d.min + p * (d.max - d.min);
    case 'normal': {
      if (d.stddev <= 0) return Math.max(0, d.mean);
      // Truncated at 0: map p into the part of the normal's range above 0.
      const below = normalCdf(-d.mean / d.stddev);
      return Math.max(0, d.mean + d.stddev * probit(below + p * (1 - below)));
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d.p50, d.p99);
      return Math.exp(mu + sigma * probit(p));
    }
    case 'pareto': {
      const x = d.scale * Math.pow(1 - p, -1 / d.shape);
      return d.cap !== undefined ? Math.min(d.cap, x) : x;
    }
    case 'exponential':
      return -Math.log(1 - p) * d.mean;
  }
}

/** P(X ≤ x). */
export function cdf(d: Distribution, x: number): number {
  switch (d.distribution) {
    case 'fixed':
      return x >= d.value ? 1 : 0;
    case 'uniform':
      if (d.max === d.min) return x >= d.min ? 1 : 0;
      return clamp01((x - d.min) / (d.max - d.min));
    case 'normal': {
      if (d.stddev <= 0) return x >= Math.max(0, d.mean) ? 1 : 0;
      if (x < 0) return 0;
      const below = normalCdf(-d.mean / d.stddev);
      return clamp01((normalCdf((x - d.mean) / d.stddev) - below) / (1 - below));
    }
    case 'lognormal': {
      if (x <= 0) return 0;
      const { mu, sigma } = lognormalParams(d.p50, d.p99);
      return normalCdf((Math.log(x) - mu) / sigma);
    }
    case 'pareto':
      if (x < d.scale) return 0;
      if (d.cap !== undefined && x >= d.cap) return 1;
      return 1 - Math.pow(d.scale / x, d.shape);
    case 'exponential':
      return x < 0 ? 0 : 1 - Math.exp(-x / d.mean);
  }
}

/** The mean (Infinity for a Pareto with shape ≤ 1 and no cap). */
export function mean(d: Distribution): number {
  switch (d.distribution) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'normal': {
      if (d.stddev <= 0) return Math.max(0, d.mean);
      // Mean of a normal truncated below at 0: μ + σ·φ(α)/(1 − Φ(α)), α = −μ/σ.
      const a = -d.mean / d.stddev;
      return d.mean + (d.stddev * normalPdf(a)) / (1 - normalCdf(a));
    }
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(d.p50, d.p99);
      return Math.exp(mu + (sigma * sigma) / 2);
    }
    case 'pareto': {
      const { scale: m, shape: a, cap } = d;
      if (cap === undefined) return a > 1 ? (a * m) / (a - 1) : Infinity;
      // E[min(X, cap)] = ∫₀^cap P(X > x) dx.
      const tail = a === 1 ? m * Math.log(cap / m) : (m / (1 - a)) * (Math.pow(cap / m, 1 - a) - 1);
      return m + tail;
    }
    case 'exponential':
      return d.mean;
  }
}

/** A distribution in words, for reports and headers: `lognormal p50 20 p99 120`. */
export function describeDistribution(d: Distribution, unit = ''): string {
  const u = (v: number) => `${+v.toFixed(3)}${unit}`;
  switch (d.distribution) {
    case 'fixed':
      return u(d.value);
    case 'uniform':
      return `uniform ${u(d.min)}–${u(d.max)}`;
    case 'normal':
      return `normal mean ${u(d.mean)} stddev ${u(d.stddev)}`;
    case 'lognormal':
      return `lognormal p50 ${u(d.p50)} p99 ${u(d.p99)}`;
    case 'pareto':
      return `pareto scale ${u(d.scale)} shape ${d.shape}${d.cap !== undefined ? ` cap ${u(d.cap)}` : ''}`;
    case 'exponential':
      return `exponential mean ${u(d.mean)}`;
  }
}

// ---------------------------------------------------------------------------------------
// The standard normal.

/** Φ(z), from simple-statistics' error function (absolute error < 1.2e-7). */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.15e-9). simple-statistics'
// `probit` uses Winitzki's closed form, good to about 1e-3 only: too coarse for a tail.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Φ⁻¹(p): the standard normal's p-quantile; ±Infinity at 0 and 1. */
export function probit(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < P_LOW) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - P_LOW) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
    (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1)
  );
}

function tail(q: number): number {
  return (
    (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
    ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1)
  );
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** `latency ± jitter`, the shorthand a scenario (and Toxiproxy) writes: uniform on [max(0, latency − jitter), latency + jitter], or fixed without jitter. */
export function jittered(latency: number, jitter: number): Distribution {
  if (jitter <= 0) return { distribution: 'fixed', value: latency };
  return { distribution: 'uniform', min: Math.max(0, latency - jitter), max: latency + jitter };
}
