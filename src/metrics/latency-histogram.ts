import type { Registry } from 'prom-client';

/** prom-client's default buckets (seconds). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One label set's counts. The hooks keep a reference per (cmd, outcome): an observation is a few array stores. */
export class Series {
  /** Per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** `count` when the requests counter last took its delta. */
  flushed = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

type Sample = { labels: Record<string, string | number>; value: number; metricName: string };

/**
 * A histogram registered in a prom-client Registry through its metric
 * interface (get / reset), exposed exactly as prom-client's own Histogram
 * (cumulative `_bucket{le}`, `_sum`, `_count`). Why not prom-client's: its
 * observe() hashes the label set on every call, which at a request per
 * observation cost a loopback echo more than half its throughput in
 * bench/micro/observe.mjs; here the label work happens once per label set.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    // registerMetric takes any object with prom-client's metric interface (name, help, type, get, reset).
    registry.registerMetric(this as never);
  }

  /** The series of one label set (made on first use; label values are strings). */
  seriesOf(labels: Record<string, string>): Series {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = new Series(labels, this.bounds)));
    return s;
  }

  allSeries(): IterableIterator<Series> {
    return this.series.values();
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i];
        values.push({ labels: { ...s.labels, le: this.bounds[i] }, value: acc, metricName: bucket });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: bucket });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
