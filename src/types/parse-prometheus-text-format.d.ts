declare module 'parse-prometheus-text-format' {
  /** Parses Prometheus' text exposition format into metric families (values as strings). */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
