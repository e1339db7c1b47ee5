import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import { DEFAULT_BUCKETS, LatencyHistogram, type Series } from './latency-histogram.js';
import { QrpcError } from '../protocol/errors.js';
import type { Direction, MetricsHooks, RequestOutcome } from '../core/metrics-hooks.js';

export interface PrometheusMetricsOptions {
  /** Where the metrics are registered; default prom-client's global registry. */
  registry?: Registry;
  /** Metric name prefix; default 'qrpc_'. */
  prefix?: string;
  /** Request latency buckets in seconds; default prom-client's (5 ms … 10 s). */
  buckets?: number[];
}

type Labels = 'side' | 'name';

/** The prom-client metrics one registry holds; every hooks object made from it adds its `side` and `name` labels. */
class Instruments {
  readonly requests: Counter<Labels | 'cmd' | 'outcome'>;
  readonly latency: LatencyHistogram;
  readonly resets: Counter<Labels | 'direction'>;
  readonly pushes: Counter<Labels | 'direction'>;
  readonly bytes: Counter<Labels | 'direction'>;
  readonly connections: Gauge<Labels>;
  readonly connectionsOpened: Counter<Labels>;
  readonly errors: Counter<Labels | 'code'>;
  readonly kicks: Counter<Labels>;
  /** Byte counts are summed in plain numbers per frame and handed to prom-client when scraped. */
  readonly byteSources: PrometheusHooks[] = [];

  constructor(options: PrometheusMetricsOptions) {
    const p = options.prefix ?? 'qrpc_';
    const registers = [options.registry ?? defaultRegistry];
    const sources = this.byteSources;
    const registry = registers[0];
    this.latency = new LatencyHistogram(`${p}request_duration_seconds`, 'Server: handler run time; client: time to the first answer frame', options.buckets ?? DEFAULT_BUCKETS, registry);
    const latency = this.latency;
    this.requests = new Counter({
      name: `${p}requests_total`,
      help: 'Requests finished (server: served; client: answered or failed), by cmd and outcome',
      labelNames: ['side', 'name', 'cmd', 'outcome'],
      registers,
      // Counted in the histogram's series (one increment per request); handed over when scraped.
      collect() {
        for (const s of latency.allSeries()) {
          this.inc(s.labels, s.count - s.flushed);
          s.flushed = s.count;
        }
      },
    });
    this.resets = new Counter({ name: `${p}resets_total`, help: 'Reset frames received (in) and sent (out)', labelNames: ['side', 'name', 'direction'], registers });
    this.pushes = new Counter({ name: `${p}pushes_total`, help: 'Push frames received (in) and sent (out)', labelNames: ['side', 'name', 'direction'], registers });
    this.bytes = new Counter({
      name: `${p}bytes_total`,
      help: 'Frame bytes (header + payload) received (in) and queued (out)',
      labelNames: ['side', 'name', 'direction'],
      registers,
      collect() {
        for (const s of sources) s.flushBytes(this);
      },
    });
    this.connections = new Gauge({ name: `${p}connections`, help: 'Open connections', labelNames: ['side', 'name'], registers });
    this.connectionsOpened = new Counter({ name: `${p}connections_opened_total`, help: 'Connections opened (accepted or connected)', labelNames: ['side', 'name'], registers });
    this.errors = new Counter({ name: `${p}connection_errors_total`, help: 'Connections closed with an error, by its code', labelNames: ['side', 'name', 'code'], registers });
    this.kicks = new Counter({ name: `${p}kicks_total`, help: 'Connections kicked by a newer one with the same id', labelNames: ['side', 'name'], registers });
  }
}


/** The hooks for one binding or client (labels side, name). */
class PrometheusHooks implements Required<MetricsHooks> {
  private readonly labels: { side: string; name: string };
  /** Histogram series per outcome and cmd: no label work per request. */
  private readonly series = new Map<string, Map<number, Series>>();
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(
    private readonly m: Instruments,
    side: 'server' | 'client',
    name: string,
  ) {
    this.labels = { side, name };
  }

  request(cmd: number, outcome: RequestOutcome, seconds: number): void {
    let byCmd = this.series.get(outcome);
    if (byCmd === undefined) this.series.set(outcome, (byCmd = new Map()));
    let s = byCmd.get(cmd);
    if (s === undefined) byCmd.set(cmd, (s = this.m.latency.seriesOf({ ...this.labels, cmd: String(cmd), outcome })));
    s.observe(seconds);
  }

  reset(direction: Direction): void {
    this.m.resets.inc({ ...this.labels, direction });
  }

  push(direction: Direction, count: number): void {
    this.m.pushes.inc({ ...this.labels, direction }, count);
  }

  bytes(direction: Direction, count: number): void {
    if (direction === 'in') this.bytesIn += count;
    else this.bytesOut += count;
  }

  /** @internal scrape time: hands the byte counts summed since the last scrape to prom-client. */
  flushBytes(counter: Counter<Labels | 'direction'>): void {
    // Both label sets exist from the first scrape on, at 0 when nothing moved.
    counter.inc({ ...this.labels, direction: 'in' }, this.bytesIn);
    counter.inc({ ...this.labels, direction: 'out' }, this.bytesOut);
    this.bytesIn = this.bytesOut = 0;
  }

  connectionOpened(): void {
    this.m.connections.inc(this.labels);
    this.m.connectionsOpened.inc(this.labels);
  }

  connectionClosed(errorCode: string | null): void {
    this.m.connections.dec(this.labels);
    if (errorCode !== null) this.m.errors.inc({ ...this.labels, code: errorCode });
  }

  kick(): void {
    this.m.kicks.inc(this.labels);
  }
}

/** Hooks for bindings and clients, all recorded in one set of prom-client metrics. */
export interface PrometheusMetrics {
  /** For a binding's `metrics` option; `name` becomes the `name` label (default 'default'). */
  server(name?: string): MetricsHooks;
  /** For connect()'s `metrics` option. */
  client(name?: string): MetricsHooks;
}

/**
 * Registers qrpc's metrics in a prom-client registry (once per registry and
 * prefix: a second call with the same ones fails with ERR_INVALID_ARG) and
 * makes hooks that record into them.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  let m: Instruments;
  try {
    m = new Instruments(options);
  } catch (err) {
    throw new QrpcError('ERR_INVALID_ARG', `prometheusMetrics: ${(err as Error).message} (one prometheusMetrics() per registry and prefix; make hooks with .server(name) / .client(name))`, { cause: err });
  }
  const make = (side: 'server' | 'client', name: string): MetricsHooks => {
    if (typeof name !== 'string') throw new QrpcError('ERR_INVALID_ARG', `the name label must be a string, got ${typeof name}`);
    const hooks = new PrometheusHooks(m, side, name);
    m.byteSources.push(hooks);
    return hooks;
  };
  return { server: (name = 'default') => make('server', name), client: (name = 'default') => make('client', name) };
}
